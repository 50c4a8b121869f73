"""Index search through usearch: exact below the size threshold, an HNSW graph above it; the fast query path."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from promptkit.core.errors import SearchIndexError
from promptkit.retrieval import ann
from promptkit.retrieval.index import Index
from promptkit.retrieval.index_files import FORMAT_VERSION, write_index_files
from promptkit.retrieval.store import list_indexes


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(n, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    centres = unit(rng.standard_normal((max(1, n // 20), dim)))
    return unit(centres[rng.integers(0, len(centres), n)] + 0.15 * rng.standard_normal((n, dim))), centres


def synthetic_index(root, vectors, flags=None, name="vec"):
    n = len(vectors)
    flags = np.zeros(n, bool) if flags is None else flags
    manifest = {"format": FORMAT_VERSION, "name": name, "sources": ["synthetic"], "content_hash": "0" * 64,
                "embedder": {"name": "synthetic", "dim": int(vectors.shape[1])}, "prompts": n, "modifiers": 0,
                "dtype": "float16", "keep_nsfw": bool(flags.any()), "created": "2026-01-01T00:00:00+00:00"}
    write_index_files(root / name, manifest, vectors, [f"prompt {i}" for i in range(n)], list(flags), [],
                      np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(n + 1, np.int64))
    return root / name


def exact_top(vectors, q, k, hidden=None):
    scores = vectors.astype(np.float16).astype(np.float32) @ q
    if hidden is not None:
        scores[hidden] = -np.inf
    return np.argsort(-scores, kind="stable")[:k]


@pytest.fixture()
def low_threshold(monkeypatch):
    monkeypatch.setattr(ann, "ANN_MIN_VECTORS", 1000)


def test_small_indexes_stay_exact(tmp_path, low_threshold):
    vectors, centres = clustered(500)
    path = synthetic_index(tmp_path, vectors)
    index = Index.open(path)
    assert index.graph is None and not (path / ann.ANN_FILE).exists() and "ann" not in index.manifest
    for q in centres[:10]:
        ids, scores = index.nearest(q, 10)
        assert list(ids) == list(exact_top(vectors, q, 10)) and np.all(np.diff(scores) <= 0)


def test_big_indexes_carry_a_graph_with_high_recall(tmp_path, low_threshold):
    vectors, centres = clustered(3000)
    path = synthetic_index(tmp_path, vectors)
    index = Index.open(path)
    assert index.graph is not None and (path / ann.ANN_FILE).is_file()
    assert index.manifest["ann"]["library"] == "usearch" and index.manifest["bytes"][ann.ANN_FILE] > 0
    queries = unit(centres[:40] + 0.1 * np.random.default_rng(1).standard_normal(centres[:40].shape))
    recall = np.mean([len(set(index.nearest(q, 10)[0]) & set(exact_top(vectors, q, 10))) / 10 for q in queries])
    assert recall >= 0.95
    ids, scores = index.nearest(queries[0], 10)
    np.testing.assert_allclose(scores, vectors[ids].astype(np.float16).astype(np.float32) @ queries[0], atol=1e-5)


@pytest.mark.parametrize("size", [500, 3000])
def test_nsfw_rows_are_hidden_unless_asked(tmp_path, low_threshold, size):
    vectors, centres = clustered(size)
    flags = np.zeros(size, bool)
    flags[::3] = True
    index = Index.open(synthetic_index(tmp_path, vectors, flags))
    for q in centres[:10]:
        ids, _ = index.nearest(q, 20)
        assert len(ids) == 20 and not flags[ids].any()
        assert flags[index.nearest(q, 20, include_nsfw=True)[0]].any()
    only_nsfw = Index.open(synthetic_index(tmp_path, vectors[:50], np.ones(50, bool), name="all-nsfw"))
    assert len(only_nsfw.nearest(centres[0], 5)[0]) == 0


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other-vectors", "remove"])
def test_damaged_graph_breaks_the_index(tmp_path, low_threshold, damage):
    vectors, _ = clustered(2000)
    path = synthetic_index(tmp_path, vectors)
    graph = path / ann.ANN_FILE
    data = graph.read_bytes()
    if damage == "truncate":
        graph.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        graph.write_bytes(b"\0" * len(data))
    elif damage == "other-vectors":  # a graph of the same size over other vectors
        other = tmp_path / "other"
        ann.build_ann(clustered(2000, seed=5)[0], other)
        graph.write_bytes(other.read_bytes()[: len(data)].ljust(len(data), b"\0"))
    else:
        graph.unlink()
    with pytest.raises(SearchIndexError, match=r"index 'vec' is (corrupted|incomplete).*ann.usearch") as caught:
        Index.open(path)
    assert "\n" not in str(caught.value)


def test_broken_graph_is_listed_as_broken(tmp_path, low_threshold, monkeypatch):
    monkeypatch.setenv("PROMPTKIT_DATA_DIR", str(tmp_path))
    from promptkit.core import config

    path = synthetic_index(config.indexes_dir(), clustered(1500)[0])
    (path / ann.ANN_FILE).write_bytes(b"broken")
    [info] = list_indexes()
    assert info.error and "ann.usearch" in info.error


QUERY_SCRIPT = """
import json, sys
from promptkit.retrieval.index import get_index, search
from promptkit.retrieval.suggest import suggest
hits = search("a fox in a snowy landscape", k=5, index="synthetic")
tips = suggest("a fox in a snowy landscape", k=5, index="synthetic")
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
print(json.dumps({"heavy": heavy, "hits": [h.prompt for h in hits], "tips": len(tips)}))
"""


def test_packaged_embedder_queries_import_no_torch(use_index):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", QUERY_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [] and "fox" in result["hits"][0] and result["tips"] > 0


def test_static_embedder_queries_import_no_torch(corpus_file):
    Index.build([str(corpus_file)], "synthetic")  # the default embedder: static-minilm
    assert Index.load("synthetic").embedder == "static-minilm"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", QUERY_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [] and "fox" in result["hits"][0] and result["tips"] > 0


def test_numpy_query_matches_the_build_path(use_index, minilm):
    from promptkit.retrieval.embedding import EmbedSettings, get_embedder

    index = Index.load("synthetic")
    for text in ("a dragon over the mountains", "watercolor of a bowl of fruit"):
        fast = index.embed_query(text)
        built = get_embedder("all-MiniLM-L6-v2", EmbedSettings()).encode([text])[0]
        assert float(fast @ built / np.linalg.norm(built)) > 0.995
        assert len(set(index.nearest(fast, 5)[0]) & set(index.nearest(built, 5)[0])) >= 4


def test_graph_build_reports_progress(tmp_path, low_threshold):
    seen = []
    vectors, _ = clustered(1200)
    manifest = {"format": FORMAT_VERSION, "name": "p", "embedder": {"name": "synthetic", "dim": 32}, "prompts": 1200, "modifiers": 0}
    write_index_files(tmp_path / "p", manifest, vectors, ["x"] * 1200, [False] * 1200, [], np.zeros(0, np.int64),
                      np.zeros(0, np.int32), np.zeros(1201, np.int64), graph_progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][1] == 1200 and Index.open(tmp_path / "p").graph is not None
