"""Does a 10M-vector index fit in 8 GB, and does search still find the nearest prompts? Build the
approximate-search graph promptkit writes past 50,000 rows (usearch HNSW, int8, connectivity 16)
over N vectors, then search it the way an index does (graph memory-mapped, candidates re-scored
against memory-mapped float16 vectors) in a fresh process, and report file sizes, peak resident
memory, latency and recall.

    python benchmarks/bench_ann_scale.py --n 10000000 --kind prompts --folder /big/disk/ann10m

`--kind prompts` (the realistic case): N distinct prompts composed from the public prompt data
(benchmarks/prompt_corpus.py: real subjects and modifiers, real modifier vocabularies) embedded
with the default static embedder (256 dimensions), queried with held-out podvodka short prompts.
`--kind clustered`: synthetic vectors as in bench_index.py (50 a centre, cosine ~0.65 to it),
which at 10M means 200,000 unrelated random centres. Vectors are written chunk by chunk, so the
build never holds them all as float32. `--expansion-add` only changes how hard the build searches
for neighbours (time and recall), not the graph's size or layout in memory: the index's own value
is promptkit.retrieval.ann.EXPANSION_ADD (128). Recall is measured against an exact scan of all N
vectors for `--recall-queries` queries.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

CHUNK = 250_000


def clustered_chunk(rng: np.random.Generator, centres: np.ndarray, n: int) -> np.ndarray:
    dim = centres.shape[1]
    x = centres[rng.integers(0, len(centres), n)] * 0.65 + rng.standard_normal((n, dim), dtype=np.float32) * (0.76 / np.sqrt(dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float16)


def vector_chunks(args) -> tuple[Iterator[np.ndarray], Callable[[], np.ndarray]]:
    """Unit float16 vectors in chunks of CHUNK, and a function giving the queries (called after the chunks)."""
    if args.kind == "prompts":
        from prompt_corpus import composed_prompts, heldout_queries

        from promptkit.retrieval.embedding import get_embedder

        embedder = get_embedder("static-minilm")
        args.dim = embedder.dim
        chunks = (embedder.encode(rows).astype(np.float16) for rows in composed_prompts(args.data, args.n, chunk=CHUNK))
        return chunks, lambda: embedder.encode(heldout_queries(args.data, args.queries)).astype(np.float16)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((args.n // 50 + 1, args.dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    chunks = (clustered_chunk(rng, centres, min(CHUNK, args.n - start)) for start in range(0, args.n, CHUNK))
    return chunks, lambda: clustered_chunk(rng, centres, args.queries)


def build(args) -> dict:
    from usearch.index import Index

    from promptkit.retrieval import ann

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    chunks, make_queries = vector_chunks(args)
    vectors = np.lib.format.open_memmap(folder / "embeddings.npy", mode="w+", dtype=np.float16, shape=(args.n, args.dim))
    graph = Index(ndim=args.dim, metric="ip", dtype="i8", connectivity=ann.CONNECTIVITY, expansion_add=args.expansion_add,
                  expansion_search=ann.EXPANSION_SEARCH)
    started = time.perf_counter()
    for start, chunk in zip(range(0, args.n, CHUNK), chunks):
        vectors[start:start + len(chunk)] = chunk
        graph.add(np.arange(start, start + len(chunk), dtype=np.uint64), chunk, threads=args.threads)
        print(f"  {start + len(chunk):,} added, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    vectors.flush()
    build_s = time.perf_counter() - started
    graph.save(str(folder / ann.ANN_FILE))
    queries = make_queries()
    np.save(folder / "queries.npy", queries)
    return {"dim": vectors.shape[1], "build_s": build_s, "build_peak_gb": peak_rss_gb(), "ann_gb": (folder / ann.ANN_FILE).stat().st_size / 1e9,
            "vectors_gb": (folder / "embeddings.npy").stat().st_size / 1e9}


def search(args) -> dict:
    """In a fresh process: open as an index does, search every query, report latency and peak RSS."""
    from promptkit.retrieval import ann

    folder = Path(args.folder)
    started = time.perf_counter()
    vectors = np.load(folder / "embeddings.npy", mmap_mode="r")
    graph = ann.open_ann(folder / ann.ANN_FILE, vectors, None)
    load_s = time.perf_counter() - started
    queries = np.load(folder / "queries.npy").astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    times, found = [], []
    for query in queries:
        t = time.perf_counter()
        ids, _ = ann.nearest(vectors, graph, query, 10, None)
        times.append(time.perf_counter() - t)
        found.append(ids)
    peak = peak_rss_gb()  # before the exact scan below, which reads every vector
    recall = recall_at_10(vectors, queries[: args.recall_queries], found[: args.recall_queries])
    return {"load_s": load_s, "p50_ms": float(np.percentile(times, 50) * 1000), "p95_ms": float(np.percentile(times, 95) * 1000),
            "search_peak_gb": peak, "recall_at_10": recall, "queries": len(queries)}


def recall_at_10(vectors: np.ndarray, queries: np.ndarray, found: list[np.ndarray]) -> float:
    """Share of the exact top 10 the index returned, the exact top 10 from a chunked float32 scan."""
    best = [np.zeros((0,), np.int64)] * len(queries)
    best_scores = [np.zeros((0,), np.float32)] * len(queries)
    for start in range(0, len(vectors), CHUNK):
        scores = np.asarray(vectors[start:start + CHUNK], dtype=np.float32) @ queries.T
        for q in range(len(queries)):
            top = np.argpartition(-scores[:, q], 10)[:10]
            ids = np.concatenate([best[q], top + start])
            all_scores = np.concatenate([best_scores[q], scores[top, q]])
            keep = np.argsort(-all_scores)[:10]
            best[q], best_scores[q] = ids[keep], all_scores[keep]
    return float(np.mean([len(set(b.tolist()) & set(f.tolist())) / 10 for b, f in zip(best, found)]))


def peak_rss_gb() -> float:
    """VmHWM: this process's peak resident set (mapped file pages it touched included)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e9
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--kind", choices=["prompts", "clustered"], default="prompts")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the public prompt data (--kind prompts)")
    parser.add_argument("--dim", type=int, default=256, help="--kind clustered: 256 as the default static embedder; 384 as all-MiniLM-L6-v2")
    parser.add_argument("--expansion-add", type=int, default=None, help="default: the index's own (promptkit.retrieval.ann.EXPANSION_ADD)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--recall-queries", type=int, default=50)
    parser.add_argument("--folder", required=True, help="where the graph and vectors go (needs ~N x (dim x 3 + 150) bytes)")
    parser.add_argument("--search-only", action="store_true", help="(internal) the fresh search process")
    args = parser.parse_args()
    if args.expansion_add is None:
        from promptkit.retrieval import ann

        args.expansion_add = ann.EXPANSION_ADD
    if args.search_only:
        print(json.dumps(search(args)))
        return
    built = build(args)
    done = subprocess.run([sys.executable, __file__, "--search-only", *sys.argv[1:]], capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    searched = json.loads(done.stdout)
    load = os.getloadavg()[0]
    print(f"| vectors | kind | dim | expansion add | graph build | build peak RSS | ann.usearch | embeddings.npy | load | recall@10 | p50 / p95 | search peak RSS |\n"
          f"|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
          f"| {args.n:,} | {args.kind} | {built['dim']} | {args.expansion_add} | {built['build_s'] / 60:.0f} min | {built['build_peak_gb']:.1f} GB | "
          f"{built['ann_gb']:.2f} GB | {built['vectors_gb']:.2f} GB | {searched['load_s'] * 1000:.0f} ms | {searched['recall_at_10']:.3f} | "
          f"{searched['p50_ms']:.2f} / {searched['p95_ms']:.2f} ms | {searched['search_peak_gb']:.2f} GB |")
    print(f"{searched['queries']} queries in a fresh process, 1 search thread; recall over {args.recall_queries}; load average {load:.1f} at the end")


if __name__ == "__main__":
    main()
