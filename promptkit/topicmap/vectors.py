"""An index's vectors made small for clustering and layout: a seeded PCA to 50 dimensions, read in chunks.

The index keeps float16 unit vectors memory-mapped; k-means and the map work on float32 copies
reduced to `DIMENSIONS` principal components (fitted on a seeded sample), so 100k prompts take
20 MB instead of 150 MB and every distance is cheaper. Cosine order is kept well enough for both
(the top components of sentence embeddings hold the topical directions).
"""

from __future__ import annotations

import numpy as np

DIMENSIONS = 50
FIT_ROWS = 20_000  # PCA is fitted on this many rows at most
CHUNK = 20_000


def reduced(embeddings: np.ndarray, seed: int = 0) -> np.ndarray:
    """float32 rows of `embeddings` projected on their first `DIMENSIONS` principal components."""
    from sklearn.decomposition import PCA

    n, dim = embeddings.shape
    components = min(DIMENSIONS, dim, n)
    rng = np.random.default_rng(seed)
    fit_ids = np.sort(rng.choice(n, FIT_ROWS, replace=False)) if n > FIT_ROWS else np.arange(n)
    pca = PCA(components, svd_solver="randomized" if components < min(n, dim) else "full", random_state=seed)
    pca.fit(np.asarray(embeddings[fit_ids], dtype=np.float32))
    out = np.empty((n, components), dtype=np.float32)
    for start in range(0, n, CHUNK):
        out[start:start + CHUNK] = pca.transform(np.asarray(embeddings[start:start + CHUNK], dtype=np.float32))
    return out


def one_thread():
    """BLAS and OpenMP on one thread for the block: at these sizes a second thread only waits, and on
    a busy machine its spin-waits made k-means and PCA 10-20x slower (BENCHMARKS.md, "Atlas")."""
    import sklearn.cluster  # noqa: F401 - loads scikit-learn's OpenMP runtime: threadpoolctl limits only loaded ones
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)
