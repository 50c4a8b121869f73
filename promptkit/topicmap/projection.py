"""The 2D map: a topic-anchored layout of a seeded sample of the index's prompts.

Chosen by measurement over UMAP (umap-learn), t-SNE (openTSNE) and plain PCA (BENCHMARKS.md,
"Atlas"): on these 2 cores t-SNE and UMAP took minutes for a few thousand points, far beyond the
budget of 100k prompts' topics and map in two minutes, and PCA to 2D draws every topic on top of
the others. This layout costs O(n k) and keeps both the topics and their neighbourhoods readable:

1. topic centres are placed by classical MDS (their first two principal components), then pushed
   apart until no two topic discs (area proportional to topic size) overlap;
2. each prompt sits in its topic's disc at its offset from the centre along the topic's own first
   two principal components (the topic's inner structure), squashed to stay inside the disc;
3. a prompt almost as close to another topic is pulled part of the way toward it, so prompts
   between topics sit between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_POINTS = 50_000  # the most prompts drawn; bigger indexes are drawn from a seeded sample
LOCAL_ROWS = 2_000  # rows each topic's own PCA is fitted on
PULL = 0.3  # how far a prompt on the border of two topics moves toward the other


@dataclass(frozen=True)
class Layout:
    rows: np.ndarray  # the index rows drawn, ascending
    xy: np.ndarray  # float32 (len(rows), 2), in [0, 1] x [0, 1]


def sample_rows(n: int, hidden: np.ndarray | None, max_points: int = MAX_POINTS, seed: int = 0) -> np.ndarray:
    """The rows drawn: every shown row, or a seeded sample of `max_points` of them."""
    rows = np.arange(n) if hidden is None else np.flatnonzero(~hidden)
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
    return rows


def _principal_plane(points: np.ndarray, seed: int) -> np.ndarray:
    """The first two principal axes (dims x 2) of `points` (zero-padded when there are too few)."""
    if len(points) > LOCAL_ROWS:
        points = points[np.random.default_rng(seed).choice(len(points), LOCAL_ROWS, replace=False)]
    centred = points - points.mean(axis=0)
    axes = np.zeros((points.shape[1], 2), dtype=np.float32)
    if len(points) >= 2:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        axes[:, : min(2, len(vt))] = vt[:2].T
    return axes


def centre_positions(centres: np.ndarray, sizes: np.ndarray, steps: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Topic centres in 2D (classical MDS, then overlap removal) and each topic disc's radius."""
    k = len(centres)
    unit = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)
    position = (unit - unit.mean(axis=0)) @ _principal_plane(unit, 0) if k > 2 else np.eye(max(k, 1), 2)[:k]
    position = position / max(float(np.abs(position).max()), 1e-9)
    radius = np.sqrt(sizes / sizes.sum()) * 0.9
    for _ in range(steps):
        delta = position[:, None, :] - position[None, :, :]
        distance = np.linalg.norm(delta, axis=2) + np.eye(k)
        overlap = np.clip(radius[:, None] + radius[None, :] + 0.02 - distance, 0, None) * (1 - np.eye(k))
        if overlap.max(initial=0) < 1e-4:
            break
        position += 0.5 * (overlap[:, :, None] * delta / distance[:, :, None]).sum(axis=1)
    return position, radius


def layout(vectors: np.ndarray, labels: np.ndarray, centres: np.ndarray, rows: np.ndarray, seed: int = 0) -> Layout:
    """Positions of `rows` (reduced vectors `vectors[rows]`, topics `labels[rows]`) on the map."""
    k = len(centres)
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    anchors, radius = centre_positions(centres, np.maximum(sizes, 1))
    points, topics = vectors[rows], labels[rows]
    xy = np.zeros((len(rows), 2), dtype=np.float64)
    for topic in range(k):
        members = np.flatnonzero(topics == topic)
        if len(members) == 0:
            continue
        offsets = (points[members] - centres[topic]) @ _principal_plane(points[members] - centres[topic], seed + topic)
        scale = np.percentile(np.linalg.norm(offsets, axis=1), 90) if len(members) > 1 else 1.0
        offsets = offsets / max(float(scale), 1e-9)
        length = np.linalg.norm(offsets, axis=1, keepdims=True)
        xy[members] = anchors[topic] + radius[topic] * offsets * np.tanh(length) / np.maximum(length, 1e-9)
    xy += _border_pull(points, topics, centres, anchors)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = max(float((high - low).max()), 1e-9)
    xy = (xy - low) / span + (1 - (high - low) / span) / 2  # fit into the unit square, centred
    return Layout(rows, xy.astype(np.float32))


def _border_pull(points: np.ndarray, topics: np.ndarray, centres: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Move each prompt toward its second-nearest topic by how nearly it belongs there."""
    if len(centres) < 2:
        return np.zeros((len(points), 2))
    distances = np.empty((len(points), len(centres)), dtype=np.float32)
    for start in range(0, len(points), 10_000):
        chunk = points[start:start + 10_000]
        distances[start:start + 10_000] = (chunk ** 2).sum(1)[:, None] - 2 * chunk @ centres.T + (centres ** 2).sum(1)[None, :]
    distances = np.sqrt(np.clip(distances, 0, None))
    own = distances[np.arange(len(points)), topics]
    distances[np.arange(len(points)), topics] = np.inf
    other = distances.argmin(axis=1)
    closeness = np.clip(own / np.maximum(distances[np.arange(len(points)), other], 1e-9), 0, 1)  # 1: on the border
    weight = PULL * closeness ** 8  # only prompts really between two topics move far
    return weight[:, None] * (anchors[other] - anchors[topics])
