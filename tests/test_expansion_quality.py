"""What a user sees from the shipped expander: coherent, varied, full-length expansions that fit the subject.

The fast test reads 40 prompts across media and subjects; the slow one runs `promptkit eval`'s
metrics on 300 held-out pairs against a neighbour corpus the expander never trained on.
"""

from __future__ import annotations

import itertools
from collections import Counter
from statistics import mean

import pytest
from conftest import require_shared_data

from promptkit.expansion.expander import ExpandSettings, get_expander
from promptkit.modifiers.coherence import check_expansion
from promptkit.modifiers.relevance import get_relevance
from promptkit.modifiers.vocabulary import is_candidate

PROMPTS = [
    "oil painting of a cat sitting on a rainbow", "a watercolor of a lighthouse", "logo of a coffee shop", "pixel art of a knight",
    "a photo of an old fisherman", "portrait of a young woman with red hair", "a mountain landscape at sunrise",
    "a cyberpunk city at night", "anime girl with a sword", "3d render of a cute robot", "macro photo of a dew drop on a leaf",
    "a minimalist vector icon of a rocket", "pencil sketch of an old tree", "a dragon flying over a medieval village",
    "a bowl of ramen", "a red fox in the snow", "an astronaut riding a horse", "a cozy cabin in the woods",
    "charcoal drawing of a horse", "street photo of tokyo in the rain", "a spaceship landing on mars", "a bouquet of sunflowers",
    "a knight fighting a dragon", "an underwater coral reef", "a steampunk airship", "portrait of an old wizard",
    "a haunted mansion on a hill", "a futuristic sports car", "a medieval market square", "a samurai under cherry blossoms",
    "a lion resting in the savanna", "a library full of books", "a lighthouse in a storm", "flat illustration of a bicycle",
    "a cat wearing a tiny hat", "a waterfall in a jungle", "a snowy village at christmas", "an owl on a branch at night",
    "a woman reading in a cafe", "an ancient temple in the desert", "a cozy cabin in the snow",
]


def expansions(n: int = 4):
    expander = get_expander("embedded")
    return {prompt: expander.expand(prompt, seed=1, settings=ExpandSettings(n=n)) for prompt in PROMPTS}


def jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b)


def test_expansions_are_coherent_varied_and_full_length():
    results = expansions()
    everything = [e for variants in results.values() for e in variants]
    added = [m for e in everything for m in e.added]
    generic = get_relevance().generic_set
    assert all(e.expanded.startswith(e.prompt) for e in everything)
    assert all(is_candidate(m) for m in added)  # no misspelt modifier ("qualitty 4k") from the trained vocabulary
    assert all(check_expansion(e.prompt, e.added) == {"conflict": False, "redundant": False} for e in everything)
    assert sum(m in generic for m in added) / len(added) <= 0.20
    assert mean(e.clip_tokens for e in everything) >= 40 and max(e.clip_tokens for e in everything) <= 77
    assert all(len({frozenset(e.added) for e in variants}) == len(variants) for variants in results.values())
    overlap = [mean(jaccard(a.added, b.added) for a, b in itertools.combinations(v, 2)) for v in results.values()]
    assert mean(overlap) <= 0.35
    per_modifier = Counter(m for e in everything for m in set(e.added))
    assert per_modifier.most_common(1)[0][1] / len(everything) <= 0.20
    assert len(per_modifier) / len(added) >= 0.20


def test_raw_output_is_the_models_own_text():
    expander = get_expander("embedded")
    raw = expander.expand("logo of a coffee shop", seed=1, settings=ExpandSettings(n=2, min_modifiers=0))
    chosen = expander.expand("logo of a coffee shop", seed=1, settings=ExpandSettings(n=2))
    assert [r.added for r in raw] != [c.added for c in chosen]


@pytest.mark.slow
@pytest.mark.shared_data
def test_eval_meets_the_targets_against_an_unseen_neighbour_corpus():
    from promptkit.evaluation.expansion import evaluate

    data = require_shared_data()
    pairs = str(data / "podvodka-pairs" / "pairs.jsonl")
    neighbours = [pairs, str(data / "pickapic-prompts" / "test.jsonl"), str(data / "pickapic-prompts" / "train.jsonl")]
    report = evaluate(pairs, heldout_percent=10, limit=300, baseline_data=[pairs], neighbours=neighbours)
    rows = {row.expander: row.to_dict() for row in report.rows}
    ours = rows["embedded"]
    assert ours["generic"] <= 0.20 and ours["breadth"] >= 0.20 and ours["conflict"] <= 0.01 and ours["redundant"] <= 0.02
    assert ours["clip_mean"] >= 40 and ours["within_77"] == 1.0 and ours["identical"] == 0 and ours["jaccard"] <= 0.35
    assert ours["keep_prompt"] == 1.0 and ours["blocklisted"] == 0
    for name, row in rows.items():
        if name != "embedded" and "raw" not in name:
            assert ours["lift_mean"] > row["lift_mean"], name
