"""Modifier statistics of a set of prompts: which modifiers each prompt uses, and how often."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..core.text import normalize_modifier, split_prompt


def prompt_modifiers(prompt: str) -> list[str]:
    """The normalised, de-duplicated modifier phrases of a prompt (everything after the subject)."""
    seen: dict[str, None] = {}
    for modifier in split_prompt(prompt).modifiers:
        key = normalize_modifier(modifier)
        if key:
            seen.setdefault(key, None)
    return list(seen)


def modifier_table(prompts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Vocabulary (most used first), prompts per modifier, and each prompt's ids in CSR form."""
    per_prompt = [prompt_modifiers(p) for p in prompts]
    counts = Counter(m for mods in per_prompt for m in mods)
    vocab = [m for m, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    ids = {m: i for i, m in enumerate(vocab)}
    offsets = np.zeros(len(prompts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(mods) for mods in per_prompt])
    flat = np.fromiter((ids[m] for mods in per_prompt for m in mods), dtype=np.int32, count=int(offsets[-1]))
    return vocab, np.array([counts[m] for m in vocab], dtype=np.int64), flat, offsets
