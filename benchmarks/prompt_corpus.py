"""Prompt rows for the index benchmarks, built from the public prompt data.

- `base_prompts`: the real prompts (podvodka long prompts + DiffusionDB SFW prompts, ~19k).
- `scaled`: n rows of seeded perturbations of them, with a share of exact repeats.
- `composed_prompts`: as many distinct prompts as a 10M-vector benchmark needs, written the way
  prompts are: a real prompt's subject, sometimes a medium, its own modifiers or some of them, and
  modifiers drawn from real vocabularies (Lexica's counted modifiers by count, CLIP Interrogator's
  flavors and artists). Their embeddings keep the nested structure of real prompt collections
  (subjects, then styles), which random vectors lack.
- `heldout_queries`: held-out podvodka short prompts, the kind of query a user types.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path


def base_prompts(data: Path) -> list[str]:
    from promptkit.core.datasets import clean_prompts, read_prompts_lenient

    records = []
    for path in (data / "podvodka-pairs" / "pairs.jsonl", data / "diffusiondb-imagereward" / "train_prompts_sfw.txt"):
        records += read_prompts_lenient(path)[0]
    return clean_prompts(records)[0]


def scaled(prompts: list[str], n: int, seed: int, repeat_share: float) -> list[str]:
    """n rows: perturbed copies of the base prompts, with `repeat_share` exact repeats."""
    from promptkit.core.text import split_modifiers

    rng = random.Random(seed)
    parts = [split_modifiers(p) or [p] for p in prompts]
    rows: list[str] = []
    for i in range(n):
        if rows and rng.random() < repeat_share:
            rows.append(rng.choice(rows))
            continue
        subject, *mods = parts[i % len(parts)] if i < len(parts) else rng.choice(parts)
        if i >= len(parts):
            rng.shuffle(mods)
            if mods and rng.random() < 0.5:
                mods.pop(rng.randrange(len(mods)))
            donor = rng.choice(parts)
            if len(donor) > 1:
                mods.append(rng.choice(donor[1:]))
        rows.append(", ".join([subject, *mods]))
    return rows


def heldout_queries(data: Path, limit: int | None = None) -> list[str]:
    from promptkit.core.datasets import is_heldout, read_prompts

    records = read_prompts(data / "podvodka-pairs" / "pairs.jsonl")
    return [r.short for r in records if r.short and is_heldout(r, 10)][:limit]


class Vocabulary:
    """Subjects, their own modifiers and the modifier banks that composed prompts draw from."""

    def __init__(self, data: Path):
        from promptkit.core.text import split_modifiers

        clip = data / "clip-interrogator-terms"
        self.parts = [split_modifiers(p) for p in base_prompts(data)]
        self.parts = [p for p in self.parts if p]
        lexica = [json.loads(line) for line in (data / "lexica-modifier-counts" / "modifiers.jsonl").read_text(encoding="utf-8").splitlines()]
        lexica = [row for row in lexica if not row["nsfw_flag"]]
        self.counted = [row["modifier"] for row in lexica]
        self.cumulative = list(itertools.accumulate(row["count"] for row in lexica))  # computed once: choices() would redo it
        self.flavors = read_lines(clip / "flavors.txt")
        self.artists = read_lines(clip / "artists.txt")
        self.mediums = read_lines(clip / "mediums.txt")

    def compose(self, rng: random.Random) -> str:
        subject, *own = rng.choice(self.parts)
        if rng.random() < 0.25:
            subject = f"{rng.choice(self.mediums)} of {subject}"
        mods = rng.sample(own, rng.randint(0, len(own))) if own else []
        mods += rng.choices(self.counted, cum_weights=self.cumulative, k=rng.randint(0, 4))
        mods += rng.sample(self.flavors, rng.randint(0, 3))
        if rng.random() < 0.4:
            mods.append(f"by {rng.choice(self.artists)}")
        rng.shuffle(mods)
        return ", ".join([subject, *mods])


def composed_prompts(data: Path, n: int, seed: int = 0, chunk: int = 250_000) -> Iterator[list[str]]:
    """n composed prompts in chunks, the same for the same seed (duplicates are possible and rare)."""
    vocabulary, rng = Vocabulary(data), random.Random(seed)
    for start in range(0, n, chunk):
        yield [vocabulary.compose(rng) for _ in range(min(chunk, n - start))]


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
