"""Which modifiers a variant keeps: generated phrases cleaned, then reranked with the modifier ranker."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.text import dedupe_modifiers, normalize_commas, normalize_modifier, normalize_whitespace, split_modifiers
from .settings import ExpandSettings


@dataclass(frozen=True)
class RankerPool:
    top: list[str]  # the ranker's most probable modifiers for the prompt (new and allowed ones)
    probability: Callable[[str], float]  # modifier key -> P(modifier in the full prompt)


def choose_modifiers(own: Sequence[str], pool: RankerPool, settings: ExpandSettings, rng: random.Random,
                     existing: Sequence[str] = (), reserved: int = 0) -> list[str]:
    """The kept candidates (the variant's own modifiers, then the ranker's), in that order.

    Candidates are ordered by log P (times `own_bonus` for own ones) plus Gumbel noise of scale
    `rerank_temperature`, which samples without replacement in proportion to P ** (1 / temperature).
    Kept: those with P >= `min_probability`, at least `modifiers` and at most `max_modifiers`
    (minus `reserved` places already taken by steering modifiers). Modifiers in `existing` (the
    prompt's own phrases, steering modifiers) are never candidates.
    """
    candidates = dedupe_modifiers([*own, *pool.top], existing=existing)
    own_keys = {normalize_modifier(m) for m in own}
    probability, keys = {}, {}
    for modifier in candidates:
        key = normalize_modifier(modifier)
        probability[modifier] = pool.probability(key) * (settings.own_bonus if key in own_keys else 1.0)
        noise = -math.log(-math.log(rng.random() or 1e-12)) if settings.rerank_temperature else 0.0
        keys[modifier] = math.log(max(probability[modifier], 1e-12)) + settings.rerank_temperature * noise
    ordered = sorted(candidates, key=lambda m: -keys[m])
    least, most = max(0, settings.min_modifiers - reserved), max(0, settings.max_modifiers - reserved)
    confident = [m for m in ordered if probability[m] >= settings.min_probability]
    chosen = set((confident if len(confident) >= least else ordered)[: max(least, min(len(confident), most))])
    return [m for m in candidates if m in chosen]


def clean_modifiers(continuation: str, finished: bool = True) -> list[str]:
    """Modifier phrases from generated text; an unfinished last phrase (cut by the token limit) is dropped."""
    text = normalize_whitespace(continuation)
    phrases = [normalize_commas(p) for p in split_modifiers(text)]
    if not finished and phrases and not text.rstrip().endswith(","):
        phrases = phrases[:-1]
    return [p for p in phrases if p]
