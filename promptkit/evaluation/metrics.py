"""What a user sees in a set of expansions, measured against a neighbour corpus the expander never saw.

An expansion is (prompt, added modifiers, variant index). The neighbour corpus is held-out
licensed rows (buckets 0-9) plus Pick-a-Pic prompts (evaluation only). Lift of an added
modifier for a prompt: its share among the K=100 corpus prompts (of those with at least one
modifier clause) with the nearest subjects, unweighted and smoothed toward the global share
with a prior of 10 prompts, over its global share. A modifier no neighbour uses gets
10/110 = 0.09; one the corpus never uses likewise.
Modifiers are compared by canonical key (vocabulary.canonical_forms), so "art by x and y"
counts as "by x" and "by y".
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, median

import numpy as np

from ..core.text import CLIP_MAX_TOKENS, clip_token_count, join_prompt, split_modifiers
from ..modifiers.coherence import check_expansion
from ..modifiers.vocabulary import canonical_forms


@dataclass(frozen=True)
class Added:
    """What one variant added to a prompt."""

    prompt: str
    added: tuple[str, ...]
    variant: int = 0


def keys_of(phrases: Sequence[str], artists: frozenset[str]) -> set[str]:
    return {k for p in phrases for k in canonical_forms(p, artists)}


NEAR_DUPLICATE = 0.5  # word-set Jaccard from which a neighbour counts as a variant of the reference prompt


class NeighbourCorpus:
    """Subject vectors and modifier keys of the evaluation corpus; lift of modifiers near a query."""

    def __init__(self, subjects: np.ndarray, prompts: list[str], artists: frozenset[str], k: int = 100, prior: float = 10.0):
        self.subjects, self.prompts, self.artists, self.k, self.prior = subjects, prompts, artists, k, prior
        self.keys = [keys_of(split_modifiers(p)[1:], artists) for p in prompts]
        self.counts = Counter(k for ks in self.keys for k in ks)

    def global_share(self, key: str) -> float:
        return (self.counts.get(key, 0) + 0.5) / (len(self.prompts) + 1.0)

    def neighbour_rows(self, query: np.ndarray, exclude: str | None = None) -> np.ndarray:
        """The k rows with the nearest subjects; with `exclude` (a pair's own long prompt), without it
        and without its near-duplicates: prompts iterated in one session would vote for it."""
        sims = self.subjects @ query
        if exclude is not None:
            reference = set(exclude.lower().split())
            candidates = np.argpartition(-sims, min(4 * self.k, len(sims) - 1))[: 4 * self.k]
            for row in candidates:
                words = set(self.prompts[row].lower().split())
                if len(words & reference) >= NEAR_DUPLICATE * len(words | reference):
                    sims[row] = -2.0
        return np.argpartition(-sims, self.k)[: self.k]

    def lifts(self, keys: Sequence[str], rows: np.ndarray) -> list[float]:
        near = Counter(k for r in rows for k in self.keys[r])
        out = []
        for key in keys:
            g = self.global_share(key)
            out.append(((near.get(key, 0) + self.prior * g) / (len(rows) + self.prior)) / g)
        return out


def user_metrics(expansions: Sequence[Added], queries: dict[str, np.ndarray], corpus: NeighbourCorpus,
             generic: frozenset[str], exclude: dict[str, str] | None = None) -> dict[str, float]:
    """All metrics of one expander's expansions; `queries`: prompt -> unit embedding of its subject."""
    exclude = exclude or {}
    lifts, known, tokens, n_added = [], [], [], 0
    conflict = redundant = generic_uses = 0
    all_keys: list[str] = []
    by_prompt: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    rows_cache = {}
    for e in expansions:
        if e.prompt not in rows_cache:
            rows_cache[e.prompt] = corpus.neighbour_rows(queries[e.prompt], exclude.get(e.prompt))
        keys = sorted(keys_of(e.added, corpus.artists))
        lifts.extend(corpus.lifts(keys, rows_cache[e.prompt]))
        known.extend(x for k, x in zip(keys, lifts[-len(keys):] if keys else []) if corpus.counts.get(k, 0) >= 2)
        audit = check_expansion(e.prompt, e.added)
        conflict += audit["conflict"]
        redundant += audit["redundant"]
        generic_uses += sum(k in generic for k in keys)
        all_keys.extend(keys)
        n_added += len(keys)
        tokens.append(clip_token_count(join_prompt(e.prompt, e.added)))
        by_prompt[e.prompt].append(tuple(sorted(keys)))
    per_key = Counter(all_keys)
    n = len(expansions)
    identical = [len(set(v)) < len(v) for v in by_prompt.values()]
    jaccards = [mean(_jaccard(a, b) for a, b in itertools.combinations(v, 2)) for v in by_prompt.values() if len(v) > 1]
    return {
        "expansions": n, "mean_added": n_added / n,
        "lift_mean": mean(lifts) if lifts else 0.0, "lift_median": median(lifts) if lifts else 0.0,
        "lift_ge2": sum(x >= 2 for x in lifts) / max(len(lifts), 1),
        "known": len(known) / max(len(lifts), 1),
        "lift_gmean": float(np.exp(np.mean(np.log(lifts)))) if lifts else 0.0,
        "conflict": conflict / n, "redundant": redundant / n,
        "generic": generic_uses / max(n_added, 1), "breadth": len(per_key) / max(n_added, 1),
        "clip_mean": mean(tokens), "within_77": sum(t <= CLIP_MAX_TOKENS for t in tokens) / n,
        "identical": mean(identical) if identical else 0.0,
        "jaccard": mean(jaccards) if jaccards else float("nan"),
        "max_modifier_share": max(per_key.values()) / n if per_key else 0.0,
        "top_modifier": per_key.most_common(1)[0][0] if per_key else "",
    }


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def subject_of(prompt: str, short: str | None = None) -> str:
    """What a prompt depicts: a pair's short description, else its first comma clause."""
    if short:
        return short
    parts = split_modifiers(prompt)
    return parts[0] if parts else prompt


def embed_texts(texts: Sequence[str], progress=None) -> np.ndarray:
    """Unit MiniLM vectors in batches (the same vectors as the relevance model's query path)."""
    from ..retrieval.embedding import EmbedSettings, get_embedder

    return get_embedder(None, EmbedSettings(fast=False, max_tokens=77)).encode(list(texts), progress=progress)


def load_neighbour_corpus(sources: Sequence[str], artists: frozenset[str], exclude_heldout: float | None = None,
                          progress=None) -> NeighbourCorpus:
    """The prompts of `sources` that have modifiers (only held-out rows of pairs files, when asked), embedded."""
    from ..core.datasets import is_heldout, read_prompts

    prompts, subjects, seen = [], [], set()
    for source in sources:
        for record in read_prompts(source):
            if exclude_heldout is not None and record.short and not is_heldout(record, exclude_heldout):
                continue
            key = record.prompt.lower().strip()
            if key not in seen and len(split_modifiers(record.prompt)) > 1:  # each prompt once: repeats are not votes
                seen.add(key)
                prompts.append(record.prompt)
                subjects.append(subject_of(record.prompt, record.short))
    return NeighbourCorpus(embed_texts(subjects, progress), prompts, artists)
