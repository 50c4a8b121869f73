import pytest

from promptkit.core.errors import InputError
from promptkit.core.files import atomic_write_bytes, ensure_output_dir, slugify


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


def test_replaced_folder_swaps_whole_or_not_at_all(tmp_path):
    from promptkit.core.files import replaced_folder

    out = tmp_path / "artifact"
    out.mkdir()
    (out / "data.txt").write_text("old", encoding="utf-8")
    (out / "README.md").write_text("card", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with replaced_folder(out, keep=("README.md",)) as tmp:
            (tmp / "data.txt").write_text("half", encoding="utf-8")
            raise KeyboardInterrupt
    assert (out / "data.txt").read_text(encoding="utf-8") == "old"
    with replaced_folder(out, keep=("README.md",)) as tmp:
        (tmp / "data.txt").write_text("new", encoding="utf-8")
    assert (out / "data.txt").read_text(encoding="utf-8") == "new"
    assert (out / "README.md").read_text(encoding="utf-8") == "card"  # kept from the old folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifact"]  # no temporary or old folders left
