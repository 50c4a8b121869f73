"""The modifier ranker: how likely each modifier is to appear in the full prompt, given a short one.

A multi-label logistic regression over the words and word pairs of the short prompt, trained on
short->long pairs (the long prompt's modifiers are the labels) and on prompt-only data (subject ->
modifiers). Exact-match modifier precision is dominated by a few very common modifiers, and the
small GPT-2 prompt model, sampling freely, estimates "which of them fits this prompt" worse than
their plain popularity; a linear model over the prompt's words does it better (measured in
README "Quality"). The expander uses it to choose among candidate modifiers, `suggest` to rank.

Inference is numpy only (a few hundred multiply-adds per prompt), so it costs the CLI nothing.
Training uses torch: the features are sparse, so the weight matrix is an EmbeddingBag.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core import config
from ..core.errors import ModelLoadError, first_line
from ..core.text import normalize_modifier, split_prompt

RANKER_NAME = "modifier-ranker"
RANKER_FORMAT = 1
_WORD = re.compile(r"[a-z0-9]+")

Progress = Callable[[int, int], None]


def prompt_features(text: str) -> list[str]:
    """The features of a short prompt: its lower-cased words and adjacent word pairs, each once."""
    words = _WORD.findall(text.lower())
    return sorted(set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])})


def example_of(prompt: str, short: str | None) -> tuple[str, set[str]]:
    """(input text, label modifiers) of one record: a pair's short text, else the prompt's subject."""
    split = split_prompt(prompt)
    labels = {normalize_modifier(m) for m in split.modifiers} - {""}
    return (short if short else split.subject), labels


@dataclass
class ModifierRanker:
    """Per-modifier weights over prompt features; `probabilities` gives P(modifier | prompt)."""

    features: dict[str, int]
    idf: np.ndarray  # (F,) inverse document frequency of each feature
    modifiers: list[str]
    weights: np.ndarray  # (F, M)
    bias: np.ndarray  # (M,)
    rates: np.ndarray  # (M,) share of training prompts using each modifier (its popularity)
    meta: dict = field(default_factory=dict)

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        return {m: i for i, m in enumerate(self.modifiers)}

    def encode(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Feature ids and their L2-normalised idf weights."""
        ids = np.array([self.features[f] for f in prompt_features(text) if f in self.features], dtype=np.int64)
        values = self.idf[ids] if len(ids) else np.zeros(0, dtype=np.float32)
        norm = float(np.linalg.norm(values)) or 1.0
        return ids, (values / norm).astype(np.float32)

    def probabilities(self, text: str) -> np.ndarray:
        """(M,) probability that each modifier appears in the full version of `text`."""
        ids, values = self.encode(text)
        logits = self.bias + values @ self.weights[ids] if len(ids) else self.bias
        return _sigmoid(logits)

    def rank(self, text: str, k: int | None = None) -> list[tuple[str, float]]:
        """Modifiers by probability for `text`, highest first (ties by name)."""
        return self.ranked(self.probabilities(text), k)

    def ranked(self, probs: np.ndarray, k: int | None = None) -> list[tuple[str, float]]:
        """Modifiers by the given probabilities (from `probabilities`), highest first (ties by name)."""
        order = sorted(range(len(self.modifiers)), key=lambda i: (-probs[i], self.modifiers[i]))
        return [(self.modifiers[i], float(probs[i])) for i in order[:k]]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float32)))


# --- loading ---------------------------------------------------------------------------------


def ranker_path() -> Path:
    """The ranker expand and suggest use: PROMPTKIT_RANKER (a folder from `train-ranker`), else the shipped one."""
    override = os.environ.get("PROMPTKIT_RANKER")
    return Path(override).expanduser() if override else config.data_dir() / RANKER_NAME


def load_ranker(path: Path | str | None = None) -> ModifierRanker:
    path = Path(path) if path is not None else ranker_path()
    fix = "reinstall promptkit or rebuild it with `promptkit train-ranker`"
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        weights = np.load(path / "weights.npy").astype(np.float32)
        bias = np.load(path / "bias.npy").astype(np.float32)
    except FileNotFoundError:
        raise ModelLoadError(f"the modifier ranker is missing ({path.name}); {fix}") from None
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"the modifier ranker is corrupted ({first_line(exc, 100)}); {fix}") from None
    features, modifiers = vocab.get("features", []), vocab.get("modifiers", [])
    idf = np.asarray(vocab.get("idf", []), dtype=np.float32)
    rates = np.asarray(vocab.get("rates", []), dtype=np.float32)
    if meta.get("format") != RANKER_FORMAT or weights.shape != (len(features), len(modifiers)) or bias.shape != (len(modifiers),) \
            or idf.shape != (len(features),) or rates.shape != (len(modifiers),):
        raise ModelLoadError(f"the modifier ranker is corrupted (its files disagree in shape); {fix}")
    return ModifierRanker({f: i for i, f in enumerate(features)}, idf, modifiers, weights, bias, rates, meta)


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> ModifierRanker:
    return load_ranker(Path(path))


def get_ranker() -> ModifierRanker:
    """The shipped ranker, loaded once."""
    return _cached(str(ranker_path()))
