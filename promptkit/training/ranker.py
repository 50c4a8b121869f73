"""Train the modifier ranker (see `promptkit.modifiers.ranker`): full-batch L-BFGS on an EmbeddingBag."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.files import Artifact, check_output_folder, replaced_folder
from ..core.text import Blocklist
from ..core.version import __version__
from ..modifiers.ranker import RANKER_FORMAT, RANKER_NAME, ModifierRanker, example_of, prompt_features

Progress = Callable[[int, int], None]
RANKER = Artifact("modifier ranker", "meta.json", ("format", "l2", "dev_precision_at_5"))


@dataclass(frozen=True)
class RankerConfig:
    sources: tuple[str, ...]
    out: str = str(Path("data") / RANKER_NAME)
    modifiers: int = 400  # the most common label modifiers the ranker scores
    max_features: int = 6000  # the most common words and word pairs it reads
    min_count: int = 2  # a feature must occur in this many training prompts
    heldout_percent: float = 10.0  # left out entirely (the evaluation bucket)
    dev_percent: float = 10.0  # the next buckets: choose the regularisation, then train on them too
    l2: tuple[float, ...] = (1e-5, 3e-5, 1e-4)  # candidate penalties, per example
    iterations: int = 200  # L-BFGS iterations per fit
    force: bool = False  # replace an existing `out` even when it is not a ranker of ours

    def __post_init__(self) -> None:
        if not self.sources:
            raise InputError("no training data; pass one or more prompt files, e.g. promptkit train-ranker pairs.jsonl")
        if self.modifiers < 1 or self.max_features < 1:
            raise InputError("--modifiers and --max-features must be positive")
        if not 0 <= self.heldout_percent < 100 or not 0 < self.dev_percent < 100 - self.heldout_percent:
            raise InputError("held-out and development percents must leave data to train on")
        if self.iterations < 1:
            raise InputError(f"iterations must be at least 1, got {self.iterations}")
        check_output_folder(self.out, RANKER, self.force)


@dataclass
class RankerResult:
    out: Path
    examples: int
    dev_examples: int
    modifiers: int
    features: int
    l2: float
    dev_scores: dict[str, float]  # per candidate l2: dev precision@5
    dev_popular: float  # dev precision@5 of "the 5 most common modifiers"


def train_ranker(config_: RankerConfig, progress: Progress | None = None) -> RankerResult:
    """Choose the L2 strength on the development buckets, retrain on everything else, save atomically."""
    from ..core.datasets import heldout_bucket, read_prompts

    cfg = config_
    blocklist = Blocklist()
    train, dev = [], []
    for source in cfg.sources:
        for record in read_prompts(source):
            bucket = heldout_bucket(record.prompt)
            if bucket < cfg.heldout_percent:
                continue
            text, labels = example_of(record.prompt, record.short)
            labels = {m for m in labels if not blocklist.matches(m)}
            if not text or blocklist.matches(text) or blocklist.matches(record.prompt):
                continue
            (dev if bucket < cfg.heldout_percent + cfg.dev_percent else train).append((text, labels))
    if len(train) < 10:
        raise InputError(f"only {len(train)} usable training prompts in {', '.join(cfg.sources)}; pass a larger prompt dataset")
    everything = train + dev
    modifiers = [m for m, _ in Counter(m for _, labels in everything for m in labels).most_common(cfg.modifiers)]
    features, idf = _feature_vocabulary([t for t, _ in everything], cfg.max_features, cfg.min_count)
    steps = len(cfg.l2) + 1
    scores = {}
    for i, l2 in enumerate(cfg.l2):
        ranker = _fit(train, features, idf, modifiers, l2, cfg)
        scores[f"{l2:g}"] = precision_at(ranker, dev, 5)
        if progress:
            progress(i + 1, steps)
    best = max(cfg.l2, key=lambda l2: (scores[f"{l2:g}"], l2))
    ranker = _fit(everything, features, idf, modifiers, best, cfg)
    if progress:
        progress(steps, steps)
    popular = ModifierRanker(ranker.features, ranker.idf, modifiers, np.zeros_like(ranker.weights), _logit(_label_rates(train, modifiers)), ranker.rates)
    result = RankerResult(
        out=Path(cfg.out), examples=len(everything), dev_examples=len(dev), modifiers=len(modifiers), features=len(features),
        l2=best, dev_scores=scores, dev_popular=precision_at(popular, dev, 5),
    )
    ranker.meta = _meta(cfg, result)
    _save(ranker, Path(cfg.out), cfg.force)
    return result


def precision_at(ranker: ModifierRanker, examples: Sequence[tuple[str, set[str]]], k: int) -> float:
    """Micro precision of the top-k modifiers against each example's labels."""
    hits = total = 0
    for text, labels in examples:
        top = [m for m, _ in ranker.rank(text, k)]
        hits += len(set(top) & labels)
        total += len(top)
    return hits / total if total else 0.0


def _feature_vocabulary(texts: Sequence[str], max_features: int, min_count: int) -> tuple[dict[str, int], np.ndarray]:
    frequency = Counter(f for text in texts for f in prompt_features(text))
    kept = [f for f, c in sorted(frequency.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count][:max_features]
    idf = np.array([math.log((1 + len(texts)) / (1 + frequency[f])) + 1 for f in kept], dtype=np.float32)
    return {f: i for i, f in enumerate(kept)}, idf


def _label_rates(examples, modifiers: list[str]) -> np.ndarray:
    counts = Counter(m for _, labels in examples for m in labels)
    return np.array([(counts[m] + 0.5) / (len(examples) + 1) for m in modifiers], dtype=np.float32)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p)).astype(np.float32)


def _fit(examples, features: dict[str, int], idf: np.ndarray, modifiers: list[str], l2: float, cfg: RankerConfig) -> ModifierRanker:
    """Multi-label logistic regression with an L2 penalty, solved full-batch by L-BFGS (deterministic)."""
    import torch

    rates = _label_rates(examples, modifiers)
    shell = ModifierRanker(features, idf, modifiers, np.zeros((len(features), len(modifiers)), np.float32), np.zeros(len(modifiers), np.float32), rates)
    column = {m: j for j, m in enumerate(modifiers)}
    encoded = [shell.encode(text) for text, _ in examples]
    ids = torch.from_numpy(np.concatenate([e[0] for e in encoded]))
    values = torch.from_numpy(np.concatenate([e[1] for e in encoded]))
    offsets = torch.tensor(np.cumsum([0] + [len(e[0]) for e in encoded[:-1]]), dtype=torch.long)
    target = torch.zeros(len(examples), len(modifiers))
    for row, (_, labels) in enumerate(examples):
        target[row, [column[m] for m in labels if m in column]] = 1.0
    layer = torch.nn.EmbeddingBag(len(features), len(modifiers), mode="sum")
    torch.nn.init.zeros_(layer.weight)
    bias = torch.nn.Parameter(torch.from_numpy(_logit(rates)))
    optimizer = torch.optim.LBFGS([layer.weight, bias], lr=1.0, max_iter=cfg.iterations, history_size=20, line_search_fn="strong_wolfe")
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")

    def closure():
        optimizer.zero_grad()
        logits = layer(ids, offsets, per_sample_weights=values) + bias
        # Summed over labels, averaged over examples, plus the L2 penalty (the bias is not penalised).
        loss = loss_fn(logits, target) / len(examples) + l2 * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return ModifierRanker(features, idf, modifiers, layer.weight.detach().numpy().copy(), bias.detach().numpy().copy(), rates)


def _meta(cfg: RankerConfig, result: RankerResult) -> dict:
    return {
        "format": RANKER_FORMAT, "promptkit_version": __version__, "sources": list(cfg.sources),
        "heldout_percent": cfg.heldout_percent, "dev_percent": cfg.dev_percent, "examples": result.examples,
        "dev_examples": result.dev_examples, "modifiers": result.modifiers, "features": result.features,
        "l2": result.l2, "dev_precision_at_5": result.dev_scores, "dev_popular_precision_at_5": result.dev_popular,
        "iterations": cfg.iterations,
    }


def _save(ranker: ModifierRanker, out: Path, force: bool = False) -> None:
    """Written whole or not at all (see `replaced_folder`); a hand-written card in `out` is kept."""
    with replaced_folder(out, keep=("README.md",), artifact=RANKER, force=force) as tmp:
        features = sorted(ranker.features, key=ranker.features.get)
        vocab = {"features": features, "idf": [round(float(v), 5) for v in ranker.idf], "modifiers": ranker.modifiers,
                 "rates": [round(float(v), 6) for v in ranker.rates]}
        (tmp / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        np.save(tmp / "weights.npy", ranker.weights.astype(np.float16))
        np.save(tmp / "bias.npy", ranker.bias.astype(np.float32))
        (tmp / "meta.json").write_text(json.dumps(ranker.meta, indent=2) + "\n", encoding="utf-8")
