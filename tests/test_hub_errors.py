"""A hub model that cannot load says why in promptkit's words: not cached, offline, and the command that fixes it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app
from promptkit.core.errors import ModelLoadError, first_sentence
from promptkit.core.hf import download_command, hub_cache_state
from promptkit.rendering.backends.diffusers_sd import hub_error_message, load_pipeline

UNCACHED = "promptkit-tests/not-a-cached-model"
# What diffusers 0.3x raises offline for an uncached id (the text the CLI used to quote, cut at 200 characters).
DIFFUSERS_OFFLINE = OSError(
    f"Cannot load model {UNCACHED}: the model is not fully cached locally (Cannot find an appropriate cached snapshot "
    "folder for the specified revision on the local disk and outgoing traffic has been disabled. To enable repo "
    "look-ups and downloads online, pass 'local_files_only=False' as input.) and an error occurred while trying to "
    "fetch metadata from the Hub. Please check out the root cause in the stacktrace above."
)


def fake_cache(root, repo_id: str, files: list[str]) -> None:
    """A huggingface_hub cache entry holding `files` at the main revision."""
    folder = root / f"models--{repo_id.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("0" * 40)
    for name in files:
        path = folder / "snapshots" / ("0" * 40) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")


def test_offline_uncached_render_is_one_line_with_the_fix():
    result = CliRunner().invoke(app, ["render", "a cat", "--seed", "1", "--model", UNCACHED, "--out", "unused"])
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("Error: model 'promptkit-tests/not-a-cached-model' is not in the local Hugging Face cache")
    assert "offline" in message and f"`HF_HUB_OFFLINE=0 hf download {UNCACHED} --include " in message
    assert "\n" not in message and message.count("(") == message.count(")")
    assert "Cannot" not in message and "stacktrace" not in message  # no library sentences


def test_offline_check_happens_before_diffusers_loads(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "diffusers", raising=False)
    with pytest.raises(ModelLoadError, match="not in the local Hugging Face cache"):
        load_pipeline(UNCACHED, dtype=None)
    assert "diffusers" not in sys.modules


def test_cache_state_is_read_from_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    fake_cache(tmp_path, "org/partial", ["model_index.json"])
    fake_cache(tmp_path, "org/whole", ["model_index.json", "unet/diffusion_pytorch_model.safetensors"])
    assert [hub_cache_state(r) for r in ("org/partial", "org/whole", "org/none", "not a valid id!")] == ["partial", "cached", "missing", "missing"]
    with pytest.raises(ModelLoadError, match="is only partly in the local Hugging Face cache"):
        load_pipeline("org/partial", dtype=None)


def test_library_errors_are_said_in_our_words(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    message = hub_error_message(UNCACHED, DIFFUSERS_OFFLINE)
    assert message == (f"model '{UNCACHED}' is not in the local Hugging Face cache and the Hugging Face Hub cannot be reached; "
                       f"download it once with `{download_command(UNCACHED)}`, or pass a local diffusers folder with --model")
    assert download_command(UNCACHED).startswith(f"hf download {UNCACHED} --include ")
    odd = RuntimeError("Something broke (while reading the config. More text follows) and then " + "more words " * 40)
    message = hub_error_message(UNCACHED, odd)
    assert message.startswith(f"could not load model '{UNCACHED}' from the Hugging Face Hub: Something broke;")
    assert message.count("(") == message.count(")")


def test_first_sentence_cuts_whole_words():
    assert first_sentence(ValueError("One thing. Another.")) == "One thing"
    long = first_sentence(ValueError("word " * 100), limit=30)
    assert long.endswith(" …") and len(long) <= 32 and "wor …" not in long
