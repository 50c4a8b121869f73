"""Modifier suggestions: from the shipped lexicon, from an index, discounting, categories, expand --suggest."""

import pytest

from promptkit.core.errors import InputError
from promptkit.expansion.steering import SuggestExpander
from promptkit.modifiers.coherence import check_expansion, conflicts, kinds
from promptkit.modifiers.lexicon import CATEGORIES, Vocabularies, categorize, get_lexicon
from promptkit.modifiers.relevance import get_relevance
from promptkit.modifiers.vocabulary import CATEGORIES as VOCABULARY_CATEGORIES
from promptkit.retrieval.index import Index
from promptkit.retrieval.suggest import Suggester, SuggestSettings, get_suggester, suggest


@pytest.mark.parametrize("modifier, category", [
    ("by greg rutkowski", "artist"), ("art by alphonse mucha", "artist"), ("in the style of monet", "artist"),
    ("cinematic lighting", "lighting"), ("golden hour", "lighting"), ("35mm photo", "camera"), ("depth of field", "camera"),
    ("vibrant colors", "colour"), ("highly detailed", "quality"), ("8 K", "quality"), ("oil painting", "medium"),
    ("octane render", "medium"), ("cyberpunk", "style"), ("art nouveau", "style"), ("a cat", "other"),
])
def test_categorize_table(modifier, category):
    assert categorize(modifier) == category


def test_categorize_uses_term_lists():
    vocab = Vocabularies(artists=frozenset({"wlop"}), mediums=frozenset({"gouache painting"}), movements=frozenset({"fauvism"}))
    assert categorize("WLOP", vocab) == "artist" and categorize("wlop and artgerm", vocab) == "artist"
    assert categorize("a gouache painting", vocab) == "medium" and categorize("fauvism", vocab) == "style"


def test_shipped_lexicon_is_small_and_complete():
    lexicon = get_lexicon()
    assert 1000 <= len(lexicon.modifiers) <= 5000 and lexicon.embedder == "all-MiniLM-L6-v2"
    assert set(lexicon.categories) <= set(CATEGORIES) and set(lexicon.categories) >= {"artist", "medium", "lighting", "quality"}
    assert lexicon.context.shape == (len(lexicon.modifiers), 384)
    size = sum(f.stat().st_size for f in lexicon.path.iterdir())
    assert size < 5_000_000
    assert not any(w in m for m in lexicon.modifiers for w in ("nude", "gore", "nsfw"))


def test_suggest_without_an_index_uses_the_relevance_model():
    prompt = "a castle in the clouds, highly detailed"
    out = suggest(prompt, k=12)
    assert len(out) == 12 and all(s.source == "relevance" for s in out)
    assert "highly detailed" not in [s.modifier for s in out]  # the prompt has it already
    assert [s.score for s in out] == sorted((s.score for s in out), reverse=True) and out[0].score == 1.0
    assert all(s.category in VOCABULARY_CATEGORIES and s.count >= 0 for s in out)
    assert set(out[0].to_dict()) >= {"modifier", "category", "score", "count"}


def test_suggest_with_an_index_uses_neighbours(use_index, minilm):
    out = suggest("a red fox in the snow", k=8)
    assert out and any(s.source in ("index", "both") for s in out)
    index = Index.load("synthetic")
    assert all(s.count <= SuggestSettings().neighbours for s in out if s.source != "lexicon")
    only_index = Suggester(index, None).suggest("a red fox in the snow", 8)
    assert only_index and all(s.source == "index" and s.count >= 2 for s in only_index)


def test_popularity_discount_demotes_modifiers_every_prompt_has(tmp_path, minilm):
    lines = [f"a red fox number {i}, highly detailed, watercolor" for i in range(10)]
    lines += [f"a castle number {i}, highly detailed" for i in range(30)]
    lines += [f"a ship number {i}, highly detailed, oil painting" for i in range(30)]
    source = tmp_path / "p.txt"
    source.write_text("\n".join(lines), encoding="utf-8")
    index = Index.build(source, "skewed").index
    plain = Suggester(index, None, SuggestSettings(discount=0.0, prior_strength=0, neighbours=12)).suggest("a red fox", 3)
    discounted = Suggester(index, None, SuggestSettings(discount=0.8, prior_strength=0, neighbours=12)).suggest("a red fox", 3)
    assert plain[0].modifier == "highly detailed"
    assert discounted[0].modifier == "watercolor"


def test_index_with_another_embedder_queries_the_lexicon_with_its_own(tmp_path, tiny_embedder, monkeypatch):
    from promptkit.retrieval import embedding

    source = tmp_path / "p.txt"
    source.write_text("a cat, oil painting, 8k\na dog, watercolor, 8k\na cat on a roof, oil painting\n", encoding="utf-8")
    Index.build(source, "tiny", embedder=str(tiny_embedder))
    suggester = get_suggester("tiny")
    asked = []
    real = embedding.query_vector
    monkeypatch.setattr(embedding, "query_vector", lambda text, info, where: asked.append(info["name"]) or real(text, info, where))
    out = suggester.suggest("a cat", 3)
    # The lexicon's vectors mean nothing beside a 32-dim embedder: the prompt is embedded again for it, never mixed.
    assert out and suggester.lexicon is not None and asked == ["all-MiniLM-L6-v2"]


@pytest.mark.parametrize("args, message", [(("", 5), "prompt is empty"), (("a cat", 0), "k must be between")])
def test_bad_suggest_input(args, message):
    with pytest.raises(InputError, match=message):
        suggest(*args)


def test_expand_with_suggestions_keeps_prompt_and_budget(tiny_model, minilm):
    from promptkit.expansion.expander import ExpandSettings, get_expander

    steered = SuggestExpander(get_expander(str(tiny_model)), get_suggester(False), k=3)
    top = [s.modifier for s in get_suggester(False).suggest("a lighthouse on a cliff", 3)]
    for exp in steered.expand("a lighthouse on a cliff", seed=3, settings=ExpandSettings(n=2)):
        assert exp.expanded.startswith("a lighthouse on a cliff, ") and exp.clip_tokens <= 77
        assert list(exp.added[:3]) == top
    assert steered.name.endswith("+suggest3")


def test_steering_drops_blocked_and_present_modifiers(tiny_model):
    from promptkit.expansion.expander import ExpandSettings, get_expander

    settings = ExpandSettings(steer=("nude", "8k", "oil painting"))
    exp = get_expander(str(tiny_model)).expand("a cat, oil painting", seed=1, settings=settings)[0]
    assert exp.added[0] == "8k" and "nude" not in exp.expanded and exp.expanded.count("oil painting") == 1


@pytest.mark.parametrize("prompt", ["a watercolor of a lighthouse", "logo of a coffee shop", "pixel art of a knight",
                                    "a photo of an old fisherman", "a castle on a hill"])
def test_suggestions_are_specific_and_fit_the_medium(prompt):
    generic = get_relevance().generic_set
    top = [s.modifier for s in suggest(prompt, k=10)]
    assert len(top) == 10 and sum(m in generic for m in top) <= 3
    assert not any(conflicts(kinds(m), kinds(prompt)) for m in top)
    assert check_expansion(prompt, top)["redundant"] is False


def test_a_broken_relevance_setting_is_the_same_one_line_error_as_in_expand(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from promptkit.cli.app import app

    monkeypatch.setenv("PROMPTKIT_RELEVANCE", str(tmp_path / "does-not-exist"))
    for args in (["suggest", "a cat"], ["expand", "a cat", "--seed", "1"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1 and "relevance model" in result.stderr and len(result.stderr.strip().splitlines()) == 1
