"""Relevance of modifiers to a prompt: lift among the nearest real prompts about similar subjects.

For a query prompt, the K corpus prompts whose subjects are nearest (cosine of MiniLM
embeddings) vote, weighted by similarity, for the modifiers they use. A modifier's neighbour
share, smoothed toward its global share with a prior of `alpha` prompts, divided by its global
share is its lift: > 1 means prompts about this kind of subject use it more than prompts do in
general. Scoring is one matrix-vector product plus a sparse gather (numpy only at inference).
Because neighbours are found by embedding, prompts with words the corpus never saw still land
among semantically similar subjects.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import config
from ..core.errors import ModelLoadError, first_line
from .coherence import MEDIA, prompt_medium

TOP10_GENERIC = 10


@dataclass
class RelevanceModel:
    """Corpus subject vectors, the prompt->modifier CSR matrix and the modifier list; see module docstring."""

    modifiers: list[str]
    categories: list[str]
    counts: np.ndarray  # corpus prompts using each modifier
    subjects: np.ndarray  # (n_prompts, dim) float32 unit rows
    indptr: np.ndarray
    indices: np.ndarray
    media: np.ndarray | None = None  # (n_modifiers, len(MEDIA)) corpus prompts of each medium using it
    media_totals: np.ndarray | None = None  # (len(MEDIA),) corpus prompts of each medium
    k: int = 64
    medium_weight: float = 0.35  # share of the medium's prompts mixed in when the prompt names one
    alpha: float = 2.0  # prior strength, in prompts, toward the global share
    power: float = 4.0  # neighbour weight = similarity ** power
    specificity: float = 0.5  # extra weight on log lift in the score (0: the KL term alone); chosen by eval sweep

    @property
    def global_share(self) -> np.ndarray:
        return (self.counts + 0.5) / (len(self.indptr) - 1 + 1.0)

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        return {m: i for i, m in enumerate(self.modifiers)}

    def generic(self, n: int = TOP10_GENERIC) -> list[str]:
        """The n most used modifiers of the corpus (the stock list to keep rare)."""
        return [self.modifiers[i] for i in np.argsort(-self.counts, kind="stable")[:n]]

    def neighbours(self, query: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Row ids of the k nearest corpus subjects and their cosines (best first)."""
        k = min(k or self.k, len(self.subjects))
        sims = self.subjects @ np.asarray(query, dtype=np.float32)
        rows = np.argpartition(-sims, k - 1)[:k]
        rows = rows[np.argsort(-sims[rows], kind="stable")]
        return rows, sims[rows]

    def neighbour_share(self, query: np.ndarray) -> np.ndarray:
        """Smoothed, similarity-weighted share of the neighbours using each modifier."""
        rows, sims = self.neighbours(query)
        weights = np.clip(sims, 0.0, None) ** self.power
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        ids = np.concatenate([self.indices[s:e] for s, e in zip(starts, ends)]) if len(rows) else np.zeros(0, int)
        votes = np.bincount(ids.astype(np.int64), weights=np.repeat(weights, ends - starts), minlength=len(self.modifiers))
        return (votes + self.alpha * self.global_share) / (weights.sum() + self.alpha)

    def medium_share(self, medium: str) -> np.ndarray:
        """Smoothed share of the corpus prompts of `medium` using each modifier."""
        column = self.media[:, MEDIA.index(medium)].astype(np.float64)
        total = float(self.media_totals[MEDIA.index(medium)])
        return (column + self.alpha * self.global_share) / (total + self.alpha)

    def lift(self, query: np.ndarray, medium: str | None = None) -> np.ndarray:
        """Neighbour share / global share for every modifier (1 = no more than usual)."""
        return self.share(query, medium) / self.global_share

    def share(self, query: np.ndarray, medium: str | None = None) -> np.ndarray:
        """Neighbour share, mixed with the share among prompts of the prompt's medium when it names one."""
        share = self.neighbour_share(query)
        if medium is None or self.media is None:
            return share
        return (1 - self.medium_weight) * share + self.medium_weight * self.medium_share(medium)

    def implied_media(self, min_prompts: int = 5, dominance: float = 0.7, photo_dominance: float = 0.9) -> dict[str, frozenset[str]]:
        """Artist key -> the medium most of its prompts use (when one dominates): photographers vs painters.

        Photographers need a stricter share: painters such as "stanley lau" are often credited in
        photorealistic portraits with camera terms, which count as photo prompts.
        """
        out = {}
        for i, key in enumerate(self.modifiers):
            row = self.media[i]
            medium = MEDIA[int(row.argmax())]
            share = dominance if medium != "photo" else photo_dominance
            if key.startswith("by ") and row.sum() >= min_prompts and row.max() >= share * row.sum():
                out[key] = frozenset({medium})
        return out

    def scores(self, query: np.ndarray, medium: str | None = None) -> np.ndarray:
        """Ranking score, log(share * log lift): specific to the subject AND used by its neighbours.

        share * log(lift) is the modifier's term of the KL divergence between the neighbours'
        modifier distribution and the global one; a rare modifier one neighbour used has a big
        lift but a tiny share, a stock modifier a big share but lift ~1: both score low.
        Modifiers with lift <= 1 get log(1e-4) (last resort).
        """
        share = self.share(query, medium)
        lift = share / self.global_share
        kl_term = np.log(share * np.maximum(np.log(lift), 1e-4 / np.maximum(share, 1e-9)))
        return kl_term + self.specificity * np.log(lift) if self.specificity else kl_term

    @functools.cached_property
    def generic_set(self) -> frozenset[str]:
        """The corpus's 10 most used modifiers: fine in moderation, never a stock list."""
        return frozenset(self.generic(TOP10_GENERIC))

    @functools.cached_property
    def implied(self) -> dict[str, frozenset[str]]:
        """Artist key -> the medium its prompts imply, for the coherence rules."""
        return self.implied_media()

    @functools.cached_property
    def artists(self) -> frozenset[str]:
        """Artist names the vocabulary credits ("by NAME")."""
        return frozenset(m[3:] for m in self.modifiers if m.startswith("by "))

    def prompt_scores(self, prompt: str) -> dict[str, float]:
        """Every modifier's score for a prompt (its subject embedded with MiniLM, its medium detected)."""
        from ..core.minilm import single_threaded_blas

        with single_threaded_blas():
            scores = self.scores(embed_subject(prompt), prompt_medium(prompt))
        return dict(zip(self.modifiers, scores.tolist()))

    def top(self, query: np.ndarray, n: int = 50, medium: str | None = None) -> list[tuple[str, float]]:
        """The n best-scoring modifiers for a query vector, with their scores."""
        s = self.scores(query, medium)
        ids = np.argsort(-s, kind="stable")[:n]
        return [(self.modifiers[i], float(s[i])) for i in ids]


RELEVANCE_NAME = "modifier-relevance"
RELEVANCE_FORMAT = 1
_FILES = ("meta.json", "modifiers.jsonl", "subjects.npy", "subject_scale.npy", "indptr.npy", "indices.npy", "media.npy")


def relevance_path() -> Path:
    """The relevance model expand and suggest use: PROMPTKIT_RELEVANCE (a folder), else the shipped one."""
    override = os.environ.get("PROMPTKIT_RELEVANCE")
    return Path(override).expanduser() if override else config.data_dir() / RELEVANCE_NAME


def load_relevance(path: Path | str | None = None) -> RelevanceModel:
    """Load a relevance folder (int8 subject rows are dequantised once); one-line errors when broken."""
    path = Path(path) if path is not None else relevance_path()
    fix = "reinstall promptkit, or rebuild it with `promptkit train-relevance DATA_DIR --out FOLDER`"
    missing = [name for name in _FILES if not (path / name).is_file()]
    if missing:
        raise ModelLoadError(f"the relevance model at '{path}' is missing {', '.join(missing)}; {fix}")
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != RELEVANCE_FORMAT:
            raise ValueError(f"unknown format {meta.get('format')!r}")
        rows = [json.loads(line) for line in (path / "modifiers.jsonl").read_text(encoding="utf-8").splitlines() if line]
        subjects = np.load(path / "subjects.npy").astype(np.float32) * np.load(path / "subject_scale.npy").astype(np.float32)
        subjects /= np.maximum(np.linalg.norm(subjects, axis=1, keepdims=True), 1e-8)
        model = RelevanceModel(
            modifiers=[r["modifier"] for r in rows], categories=[r["category"] for r in rows],
            counts=np.array([r["count"] for r in rows], dtype=np.float64), subjects=subjects,
            indptr=np.load(path / "indptr.npy").astype(np.int64), indices=np.load(path / "indices.npy"),
            media=np.load(path / "media.npy"), media_totals=np.asarray(meta["media_prompts"], dtype=np.float64),
        )
        consistent = (model.indptr.shape == (len(subjects) + 1,) and model.media.shape == (len(rows), len(MEDIA))
                      and int(model.indptr[-1]) == len(model.indices) and (len(model.indices) == 0 or int(model.indices.max()) < len(rows)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"the relevance model at '{path}' is broken ({first_line(exc, 120)}); {fix}") from None
    if not consistent:
        raise ModelLoadError(f"the relevance model at '{path}' is broken (its files disagree); {fix}")
    return model


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> RelevanceModel:
    return load_relevance(path)


def get_relevance() -> RelevanceModel:
    """The relevance model of `relevance_path()`, loaded once per process."""
    return _cached(str(relevance_path()))


def embed_subject(prompt: str) -> np.ndarray:
    """The query vector the relevance model compares with its corpus subjects (packaged MiniLM)."""
    from ..core.minilm import packaged_minilm

    return packaged_minilm().encode(prompt)
