"""Baselines an expander or a suggester must beat: the most popular modifiers, the nearest training prompt's."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from ..core.datasets import PromptRecord, is_heldout, read_prompts
from ..core.text import CLIP_MAX_TOKENS, clip_token_count, join_prompt, normalize_modifier, split_modifiers, split_prompt, trim_to_budget
from ..expansion.result import Expansion


def most_popular(modifier_lists: Iterable[Iterable[str]]) -> list[str]:
    """Normalised modifiers ordered by how many lists use them, most used first (ties by text)."""
    counts = Counter(key for modifiers in modifier_lists for key in {normalize_modifier(m) for m in modifiers})
    counts.pop("", None)
    return [m for m, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def baseline_expansion(name: str, prompt: str, modifiers: Sequence[str], seed: int, index: int, budget: int | None) -> Expansion:
    existing = {normalize_modifier(m) for m in split_modifiers(prompt)}
    fresh = [m for m in modifiers if normalize_modifier(m) not in existing]
    kept = trim_to_budget(prompt, fresh, budget) if budget else list(fresh)
    expanded = join_prompt(prompt, kept)
    return Expansion(prompt=prompt, expanded=expanded, added=tuple(kept), seed=seed, model=name,
                     clip_tokens=clip_token_count(expanded), index=index, clip_budget=budget, trimmed=len(fresh) - len(kept))


class PopularModifiers:
    """Baseline: append the k most frequent modifiers of the training prompts, whatever the prompt."""

    name = "baseline:popular"

    def __init__(self, training: Iterable[PromptRecord], k: int = 6):
        self.ranked = most_popular(split_prompt(record.prompt).modifiers for record in training)
        self.k = k

    def expand(self, prompt: str, seed: int | None = None, settings=None) -> list[Expansion]:
        n = getattr(settings, "n", 1)
        budget = getattr(settings, "clip_budget", CLIP_MAX_TOKENS)
        return [baseline_expansion(self.name, prompt, self.ranked[: self.k], seed or 0, i, budget) for i in range(n)]


_WORD = re.compile(r"[a-z0-9]+")


class NearestPromptModifiers:
    """Baseline: copy the modifiers of the most similar training prompt (TF-IDF cosine on the subject)."""

    name = "baseline:nearest"

    def __init__(self, training: Iterable[PromptRecord]):
        self.modifiers: list[tuple[str, ...]] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        documents = []
        for record in training:
            split = split_prompt(record.prompt)
            if not split.modifiers:
                continue
            documents.append(Counter(_WORD.findall((record.short or split.subject).lower())))
            self.modifiers.append(split.modifiers)
        frequency = Counter(w for doc in documents for w in doc)
        self.idf = {w: math.log((1 + len(documents)) / (1 + f)) + 1 for w, f in frequency.items()}
        for index, doc in enumerate(documents):
            weights = {w: c * self.idf[w] for w, c in doc.items()}
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            for w, v in weights.items():
                postings[w].append((index, v / norm))
        self.postings = postings

    def nearest(self, text: str) -> int | None:
        query = Counter(_WORD.findall(text.lower()))
        scores: dict[int, float] = defaultdict(float)
        for w, c in query.items():
            weight = c * self.idf.get(w, 0.0)
            for index, v in self.postings.get(w, ()):
                scores[index] += weight * v
        return max(scores, key=lambda i: (scores[i], -i)) if scores else None

    def expand(self, prompt: str, seed: int | None = None, settings=None) -> list[Expansion]:
        n = getattr(settings, "n", 1)
        budget = getattr(settings, "clip_budget", CLIP_MAX_TOKENS)
        index = self.nearest(prompt)
        modifiers = self.modifiers[index] if index is not None else ()
        return [baseline_expansion(self.name, prompt, modifiers, seed or 0, i, budget) for i in range(n)]


def baseline_training_records(sources: Sequence[str], heldout_percent: float | None) -> list[PromptRecord]:
    """The baselines' training prompts: the given sources minus the held-out bucket."""
    records = []
    for source in sources:
        records += [r for r in read_prompts(source) if heldout_percent is None or not is_heldout(r, heldout_percent)]
    return records


def popular_modifiers(ranked: Sequence[str]) -> Callable[[str, int], list[str]]:
    """Baseline: the most popular modifiers the prompt does not have yet, whatever the prompt."""

    def method(prompt: str, k: int) -> list[str]:
        present = {normalize_modifier(m) for m in split_modifiers(prompt)}
        return [m for m in ranked[: k + len(present)] if m not in present][:k]

    return method


class ReferencePrompts:
    """Not an expander: the real long prompt of each pair, as the bar real prompts set."""

    name = "reference: the real long prompts"

    def __init__(self, cases):
        self.long = {case.short: case.long for case in cases if case.long}

    def expand(self, prompt: str, seed: int | None = None, settings=None) -> list[Expansion]:
        modifiers = split_prompt(self.long.get(prompt, prompt)).modifiers
        return [baseline_expansion(self.name, prompt, modifiers, seed or 0, 0, None)]
