import json
import random

import numpy as np
import pytest

from promptkit.core.errors import InputError, ModelLoadError
from promptkit.modifiers.ranker import load_ranker, prompt_features
from promptkit.retrieval.suggest import Suggester
from promptkit.training.ranker import RankerConfig, precision_at, train_ranker

ANIMALS = ["dog", "cat", "fox", "owl", "horse", "bear", "wolf", "deer", "rabbit", "lion"]


def write_pairs(path, count=600, seed=0):
    """Pairs whose long prompt's modifiers follow the short prompt's words: photo -> photorealistic, painting -> oil on canvas."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            animal = rng.choice(ANIMALS)
            kind = rng.choice(["photo", "painting"])
            style = ["photorealistic", "35mm"] if kind == "photo" else ["oil on canvas", "brush strokes"]
            long = ", ".join([f"{kind} of a {animal} number {i}", *style, "highly detailed"])
            f.write(json.dumps({"short": f"a {kind} of a {animal}", "prompt": long}) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ranker")
    pairs = write_pairs(folder / "pairs.jsonl")
    config = RankerConfig(sources=(str(pairs),), out=str(folder / "ranker"), modifiers=10, heldout_percent=0, iterations=50)
    return train_ranker(config), load_ranker(folder / "ranker")


def test_prompt_features_are_words_and_word_pairs():
    assert prompt_features("A Photo of a cat!") == ["a", "a cat", "a photo", "cat", "of", "of a", "photo", "photo of"]
    assert prompt_features("...") == []


def test_ranker_learns_which_modifiers_follow_which_words(trained):
    result, ranker = trained
    assert result.modifiers == 5 and result.examples == 600 and result.dev_examples > 0
    assert set(ranker.modifiers) == {"photorealistic", "35mm", "oil on canvas", "brush strokes", "highly detailed"}
    photo = dict(ranker.rank("a photo of a wolf"))
    painting = dict(ranker.rank("a painting of a wolf"))
    assert photo["photorealistic"] > 0.9 > 0.1 > photo["oil on canvas"]
    assert painting["oil on canvas"] > 0.9 > 0.1 > painting["photorealistic"]
    assert ranker.rank("a photo of a wolf", 3)[0][0] in {"photorealistic", "35mm", "highly detailed"}
    # Words it never saw: it falls back to popularity.
    unknown = ranker.probabilities("zzz qqq")
    assert np.allclose(unknown, 1 / (1 + np.exp(-ranker.bias)))


def test_ranker_beats_popularity_at_three(trained):
    result, ranker = trained
    assert set(result.dev_scores) == {"1e-05", "3e-05", "0.0001"} and result.l2 in (1e-5, 3e-5, 1e-4)
    examples = [("a photo of a cat", {"photorealistic", "35mm", "highly detailed"}),
                ("a painting of an owl", {"oil on canvas", "brush strokes", "highly detailed"})]
    assert precision_at(ranker, examples, 3) == 1.0
    popular = trained[1].__class__(ranker.features, ranker.idf, ranker.modifiers, ranker.weights * 0, ranker.bias, ranker.rates)
    assert precision_at(popular, examples, 3) < 1.0


def test_ranker_files_are_checked_on_load(trained, tmp_path):
    _, ranker = trained
    with pytest.raises(ModelLoadError, match="missing"):
        load_ranker(tmp_path / "nothing")
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("meta.json", "vocab.json", "bias.npy"):
        (broken / name).write_bytes((trained[0].out / name).read_bytes())
    np.save(broken / "weights.npy", np.zeros((3, 3), dtype=np.float16))
    with pytest.raises(ModelLoadError, match="corrupted"):
        load_ranker(broken)


def test_bad_training_input_is_a_one_line_error(tmp_path):
    with pytest.raises(InputError, match="no training data"):
        train_ranker(RankerConfig(sources=()))
    tiny = tmp_path / "tiny.jsonl"
    tiny.write_text(json.dumps({"short": "a cat", "prompt": "a cat, 8k"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="only .* usable training prompts"):
        train_ranker(RankerConfig(sources=(str(tiny),), out=str(tmp_path / "out"), heldout_percent=0))
    assert not (tmp_path / "out").exists()


def test_suggester_uses_the_ranker(trained):
    from promptkit.modifiers.lexicon import get_lexicon

    _, ranker = trained
    suggester = Suggester(None, get_lexicon(), ranker=ranker)
    top = [s.modifier for s in suggester.suggest("a painting of a wolf", k=3, vector=np.zeros(384, dtype=np.float32))]
    assert "oil on canvas" in top and "photorealistic" not in top


def test_shipped_ranker_loads_and_prefers_fitting_modifiers():
    from promptkit.modifiers.ranker import get_ranker

    ranker = get_ranker()
    assert len(ranker.modifiers) >= 100 and ranker.meta["heldout_percent"] == 10
    anime = dict(ranker.rank("an anime girl with a sword"))
    photo = dict(ranker.rank("a photo of a woman in a street"))
    assert anime["anime style"] > 5 * photo["anime style"]
    assert ranker.rank("an anime girl with a sword", 3)[0][0] == "anime style"


def test_promptkit_ranker_variable_selects_another_ranker(trained, monkeypatch):
    from promptkit.modifiers.ranker import get_ranker

    monkeypatch.setenv("PROMPTKIT_RANKER", str(trained[0].out))
    assert len(get_ranker().modifiers) == 5


def test_train_ranker_cli_writes_the_ranker(tmp_path):
    from typer.testing import CliRunner

    from promptkit.cli.app import app

    pairs = write_pairs(tmp_path / "pairs.jsonl", count=200)
    result = CliRunner().invoke(app, ["train-ranker", str(pairs), "--out", str(tmp_path / "r"), "--modifiers", "3", "--heldout-percent", "0", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["modifiers"] == 3 and load_ranker(tmp_path / "r").modifiers
    (tmp_path / "r" / "README.md").write_text("my card", encoding="utf-8")
    again = CliRunner().invoke(app, ["train-ranker", str(pairs), "--out", str(tmp_path / "r"), "--modifiers", "4", "--heldout-percent", "0"])
    assert again.exit_code == 0 and len(load_ranker(tmp_path / "r").modifiers) == 4
    assert (tmp_path / "r" / "README.md").read_text(encoding="utf-8") == "my card"  # a retrain keeps the card
    missing = CliRunner().invoke(app, ["train-ranker", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r2")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output and not (tmp_path / "r2").exists()


@pytest.mark.shared_data
def test_shipped_ranker_beats_popularity_on_heldout_pairs():
    """Precision@4 on the 985 held-out podvodka pairs (never trained on), against the 4 modifiers
    most common in the same training pairs."""
    from conftest import require_shared_data

    from promptkit.evaluation.expansion import load_cases
    from promptkit.modifiers.ranker import get_ranker

    pairs = str(require_shared_data() / "podvodka-pairs" / "pairs.jsonl")
    examples = [(c.short, set(c.reference)) for c in load_cases(pairs, heldout_percent=10)]
    ranker = get_ranker()
    popular = ranker.__class__(ranker.features, ranker.idf, ranker.modifiers, ranker.weights * 0, np.log(ranker.rates / (1 - ranker.rates)), ranker.rates)
    assert precision_at(ranker, examples, 4) > 1.05 * precision_at(popular, examples, 4)
