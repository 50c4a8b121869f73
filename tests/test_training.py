import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app
from promptkit.core.datasets import PromptRecord
from promptkit.core.errors import InputError
from promptkit.expansion.expander import Expander, ExpandSettings
from promptkit.training.prompt_model import TrainConfig, train, training_text


def test_trained_folder_has_weights_tokenizer_card(tiny_model):
    names = {p.name for p in Path(tiny_model).iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md", "training.json"} <= names
    assert not any(n.endswith(".bin") for n in names)
    meta = json.loads((Path(tiny_model) / "training.json").read_text())
    history = meta["result"]["history"]
    assert len(history) == 6 and history[-1]["val_loss"] < history[0]["val_loss"]  # it learned something
    card = (Path(tiny_model) / "README.md").read_text()
    assert "validation loss" in card and "prompts.txt" in card


def test_training_text_for_pairs_is_short_then_long_modifiers():
    pair = PromptRecord(prompt="an old man in a house, comic book cover, sharp focus", short="an old man with a hat")
    assert training_text(pair) == "an old man with a hat, comic book cover, sharp focus"
    assert training_text(PromptRecord("a cat ,  8k,detailed")) == "a cat, 8k, detailed"


def test_training_is_seeded(corpus_file, tmp_path):
    outs = []
    for name in ("a", "b"):
        cfg = TrainConfig(sources=[str(corpus_file)], out=tmp_path / name, size="micro", epochs=1, batch_size=32, seed=3, max_rows=120)
        outs.append(train(cfg).history[-1]["val_loss"])
    assert outs[0] == pytest.approx(outs[1], abs=1e-6)


def test_interrupted_training_keeps_previous_model(corpus_file, tiny_model, tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "marker.txt").write_text("previous model")
    (out / "training.json").write_text('{"promptkit_version": "0", "config": {}}')  # a model of ours, so it may be replaced

    def interrupt(phase, done, total, figures):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(sources=[str(corpus_file)], out=out, size="micro", epochs=1), progress=interrupt)
    assert (out / "marker.txt").read_text() == "previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temp folders left behind


def test_fine_tune_from_a_folder_and_via_cli(corpus_file, tiny_model, tmp_path):
    out = tmp_path / "tuned"
    result = CliRunner().invoke(app, [
        "train", str(corpus_file), "--base", str(tiny_model), "--epochs", "1", "--max-rows", "64", "--out", str(out), "--json",
    ])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["train_examples"] > 0 and Path(summary["out"]) == out
    expansions = Expander.load(out).expand("a red fox", seed=1, settings=ExpandSettings(n=2))
    assert all(e.expanded.startswith("a red fox") for e in expansions)


@pytest.mark.parametrize("kwargs, message", [
    ({"sources": []}, "no training data"),
    ({"size": "huge"}, "unknown model size"),
    ({"epochs": 0}, "epochs must be positive"),
])
def test_bad_training_settings(kwargs, message, tmp_path, corpus_file):
    base = {"sources": [str(corpus_file)], "out": tmp_path / "m"}
    with pytest.raises(InputError, match=message):
        TrainConfig(**{**base, **kwargs})


def test_train_cli_bad_dataset_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["train", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "does not exist" in result.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.shared_data
def test_fine_tune_a_gpt2_family_model_with_the_stock_tokenizer(corpus_file, tmp_path):
    """The `--base gpt2` path: a GPT-2-shaped folder with the real GPT-2 tokenizer (no pad token)."""
    from conftest import require_shared_data
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    tokenizer_dir = require_shared_data() / "gpt2-tokenizer"
    base = tmp_path / "gpt2-mini"
    tokenizer = GPT2TokenizerFast.from_pretrained(tokenizer_dir)
    assert tokenizer.pad_token_id is None
    tokenizer.save_pretrained(base)
    GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=128, n_embd=32, n_layer=1, n_head=2)).save_pretrained(base)
    result = train(TrainConfig(sources=[str(corpus_file)], out=tmp_path / "tuned", base=str(base), epochs=1, max_rows=64))
    assert result.train_examples > 0
    expansion = Expander.load(tmp_path / "tuned").expand("a red fox", seed=0, settings=ExpandSettings(n=1, max_retries=0))[0]
    assert expansion.expanded.startswith("a red fox")
