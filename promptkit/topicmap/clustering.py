"""Topic clusters: scikit-learn's MiniBatchKMeans over PCA-reduced vectors, k chosen by silhouette.

k is chosen from the data when not given: candidate values between `K_MIN` and `K_MAX` (fewer for
small indexes, about one topic per 25 prompts at most) are each fitted on a seeded sample and
scored by silhouette (cosine, on a smaller sample). Sentence embeddings of prompts give flat
silhouette curves (0.09-0.11 from 6 to 40 topics on 9.5k DiffusionDB prompts), so the most topics
scoring at least `TOLERANCE` (85%) of the best win: an atlas is for browsing, and near-ties favour finer
topics. The chosen k is then fitted on every prompt, so topics cover the whole index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import InputError

K_MIN, K_MAX = 6, 40
PROMPTS_PER_TOPIC = 25  # the fewest prompts a topic averages when k is chosen from the data
CHOOSE_ROWS = 20_000  # rows each candidate k is fitted on
SILHOUETTE_ROWS = 3_000  # rows the silhouette is measured on
MAX_K = 200
TOLERANCE = 0.85  # candidates scoring at least this share of the best silhouette are near-ties


@dataclass(frozen=True)
class Clusters:
    labels: np.ndarray  # topic id per row, 0 = the largest topic
    centres: np.ndarray  # k x dims, in the reduced space
    k_from_data: bool
    scores: dict  # candidate k -> silhouette (empty when k was given)


def candidate_ks(n: int) -> list[int]:
    """The k values tried: a geometric grid from `K_MIN` to `K_MAX`, capped by one topic per 25 prompts."""
    top = max(2, min(K_MAX, n // PROMPTS_PER_TOPIC))
    low = min(K_MIN, top)
    grid = np.unique(np.round(np.geomspace(low, top, num=8)).astype(int))
    return [int(k) for k in grid]


def validate_topic_count(k: int | None, n: int) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= MAX_K:
        raise InputError(f"the number of topics must be between 2 and {MAX_K}, got {k!r}; pass e.g. -k 20, or leave it out to choose from the data")
    if k > n // 5:
        raise InputError(f"{k} topics is too many for {n} prompts (at most one topic per 5 prompts: {n // 5}); pass a smaller -k")
    return k


def _fit(vectors: np.ndarray, k: int, seed: int):
    from sklearn.cluster import MiniBatchKMeans

    return MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=3, max_no_improvement=20, random_state=seed).fit(vectors)


def choose_k(vectors: np.ndarray, seed: int = 0) -> tuple[int, dict]:
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    n = len(vectors)
    sample = vectors[np.sort(rng.choice(n, CHOOSE_ROWS, replace=False))] if n > CHOOSE_ROWS else vectors
    scored = np.sort(rng.choice(len(sample), SILHOUETTE_ROWS, replace=False)) if len(sample) > SILHOUETTE_ROWS else np.arange(len(sample))
    scores = {}
    for k in candidate_ks(n):
        labels = _fit(sample, k, seed).labels_
        if len(np.unique(labels[scored])) < 2:
            continue
        scores[k] = round(float(silhouette_score(sample[scored], labels[scored], metric="cosine")), 4)
    if not scores:
        return candidate_ks(n)[0], scores
    top = max(scores.values())
    return max(k for k, score in scores.items() if score >= TOLERANCE * top), scores


def cluster(vectors: np.ndarray, k: int | None = None, seed: int = 0) -> Clusters:
    """Topic ids for every row, the largest topic first."""
    scores: dict = {}
    k_from_data = k is None
    if k is None:
        k, scores = choose_k(vectors, seed)
    model = _fit(vectors, k, seed)
    raw = model.predict(vectors) if len(vectors) > 0 else np.zeros(0, dtype=np.int64)
    sizes = np.bincount(raw, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    keep = order[sizes[order] > 0]  # an emptied centre is dropped
    rank = np.full(k, -1, dtype=np.int64)
    rank[keep] = np.arange(len(keep))
    labels = rank[raw].astype(np.int32)
    return Clusters(labels, model.cluster_centers_[keep].astype(np.float32), k_from_data, scores)
