import pytest

from promptkit.errors import InputError
from promptkit.files import atomic_write_bytes, ensure_output_dir, slugify


@pytest.mark.parametrize("text, slug", [
    ("oil painting of a cat sitting on a rainbow", "oil-painting-of-a-cat-sitting-on-a-rainb"),
    ("../../etc/passwd", "etc-passwd"),
    ("a/b\\c:d*e?f\"g<h>i|j", "a-b-c-d-e-f-g-h-i-j"),
    ("Ünïcödé Café", "unicode-cafe"),
    ("猫 ✨", "prompt"),
    ("", "prompt"),
    ("CON", "con"),
    ("  --dashes--  ", "dashes"),
])
def test_slugify_is_file_name_safe(text, slug):
    assert slugify(text) == slug


def test_atomic_write_replaces_without_leftovers(tmp_path):
    target = tmp_path / "a.png"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.png"
    target.write_bytes(b"good")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, object())  # not bytes: fails mid-write
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_output_dir_is_created_or_refused_in_one_line(tmp_path):
    assert ensure_output_dir(tmp_path / "new" / "deeper").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write to output folder") as info:
        ensure_output_dir(blocker / "sub")
    assert "--out" in str(info.value) and "\n" not in str(info.value)
