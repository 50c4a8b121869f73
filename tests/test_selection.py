"""Selection: coherent, varied variants filled to a CLIP target from a scored pool."""

import random
from collections import Counter

from promptkit.core.text import clip_token_count, join_prompt
from promptkit.expansion.selection import SelectSettings, choose, choose_variants, own_candidates
from promptkit.modifiers.coherence import check_expansion

POOL = {
    "watercolor painting": 3.0, "photorealistic": 2.9, "octane render": 2.8, "by alphonse mucha": 2.5, "by greg rutkowski": 2.4,
    "soft lighting": 2.2, "volumetric lighting": 2.1, "golden hour": 2.0, "pastel colors": 1.9, "vibrant colors": 1.8,
    "dreamy": 1.7, "serene": 1.6, "highly detailed": 1.5, "intricate details": 1.4, "8k": 1.3, "4k": 1.2,
    "art nouveau": 1.1, "impressionism": 1.0, "35mm": 0.9, "film grain": 0.8, "trending on artstation": 0.7, "artstation": 0.6,
}
GENERIC = frozenset({"highly detailed", "8k", "trending on artstation", "artstation", "4k"})


def test_variants_fit_the_prompt_and_differ():
    prompt = "a watercolor of a lighthouse"
    variants = choose_variants(prompt, POOL, [[]] * 4, seed=1, generic=GENERIC, settings=SelectSettings(target_tokens=30))
    assert len({tuple(sorted(v)) for v in variants}) == 4
    for added in variants:
        assert "photorealistic" not in added and "octane render" not in added and "35mm" not in added
        assert check_expansion(prompt, added) == {"conflict": False, "redundant": False}
        assert sum(m in GENERIC for m in added) <= 1
        assert clip_token_count(join_prompt(prompt, added)) <= 77


def test_selection_fills_to_the_target_and_never_past_the_limit():
    prompt = "a castle on a hill"
    short = choose(prompt, POOL, [], random.Random(0), Counter(), GENERIC, SelectSettings(target_tokens=15, temperature=0))
    long = choose(prompt, POOL, [], random.Random(0), Counter(), GENERIC, SelectSettings(target_tokens=40, temperature=0))
    assert clip_token_count(join_prompt(prompt, short)) >= 15 and len(long) > len(short)
    capped = choose(prompt, POOL, [], random.Random(0), Counter(), GENERIC, SelectSettings(target_tokens=77, max_tokens=30, temperature=0))
    assert clip_token_count(join_prompt(prompt, capped)) <= 30


def test_same_seed_same_choice_and_own_modifiers_are_favoured():
    prompt = "a castle on a hill"
    first = choose_variants(prompt, POOL, [["serene"]] * 2, seed=5, generic=GENERIC, settings=SelectSettings())
    assert first == choose_variants(prompt, POOL, [["serene"]] * 2, seed=5, generic=GENERIC, settings=SelectSettings())
    assert "serene" in first[0]


def test_own_candidates_are_canonical_whole_modifiers():
    from promptkit.core.text import Blocklist

    keys = own_candidates(["art by greg rutkowski and alphonse mucha", "sharp", "Volumetric Lighting", "nude"], frozenset(), Blocklist())
    assert keys == ["by greg rutkowski", "by alphonse mucha", "volumetric lighting"]


def test_generated_text_never_carries_control_characters():
    from promptkit.expansion.selection import clean_modifiers

    assert clean_modifiers("8k,\x1b[2J dark\x00 art, soft\nlight,", finished=True) == ["8k", "[2J dark art", "soft light"]
