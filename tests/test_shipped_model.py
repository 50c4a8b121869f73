"""The embedded default prompt model: present, small, documented, usable, and packaged."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, require_shared_data

import promptkit
from promptkit.core import config
from promptkit.core.datasets import is_heldout, read_prompts
from promptkit.evaluation.expansion import load_cases

MAX_BYTES = 25 * 1024 * 1024


def test_embedded_model_is_small_and_has_a_card():
    folder = config.embedded_model_path()
    assert folder.is_dir(), "data/prompt-model is missing"
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size <= MAX_BYTES
    assert (folder / "model.safetensors").is_file() and not list(folder.glob("*.bin"))
    card = (folder / "README.md").read_text(encoding="utf-8")
    for needle in ("promptkit train", "podvodka", "DiffusionDB", "Apache-2.0", "CC0", "validation loss"):
        assert needle in card, needle


def test_public_api_expands_with_the_embedded_model():
    first = promptkit.expand("oil painting of a cat sitting on a rainbow", n=2, seed=7)
    again = promptkit.expand("oil painting of a cat sitting on a rainbow", n=2, seed=7)
    assert [e.expanded for e in first] == [e.expanded for e in again]
    for e in first:
        assert isinstance(e, promptkit.Expansion)
        assert e.model == "embedded" and e.expanded.startswith("oil painting of a cat sitting on a rainbow, ")
        assert len(e.added) >= 2 and e.clip_tokens <= 77


def test_wheel_carries_the_embedded_model(tmp_path):
    """A non-editable install finds the model too: the wheel maps data/ to promptkit/_data."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    if built.returncode != 0:
        pytest.skip(f"could not build a wheel here (no build backend reachable): {built.stderr.strip()[-200:]}")
    wheel = next(tmp_path.glob("promptkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "promptkit/_data/prompt-model/model.safetensors" in names
    assert "promptkit/_data/prompt-model/tokenizer.json" in names
    assert "promptkit/_data/modifier-ranker/weights.npy" in names
    # and the locator prefers the packaged copy when it is there
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from promptkit.core import config; print(config.embedded_model_path())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert Path(out.stdout.strip()) == site / "promptkit" / "_data" / "prompt-model"


@pytest.mark.shared_data
def test_heldout_rows_were_never_trained_on():
    data = require_shared_data()
    card = (config.embedded_model_path() / "README.md").read_text(encoding="utf-8")
    assert "10% held out" in card
    rows = read_prompts(str(data / "podvodka-pairs" / "pairs.jsonl"))
    held = [r for r in rows if is_heldout(r, 10)]
    assert 900 < len(held) < 1100
    assert 550 < len(load_cases(str(data / "podvodka-pairs" / "pairs.jsonl"), heldout_percent=10)) <= len(held)
