"""Index scale and speed: build throughput, size, load time, search/suggest latency, agreement.

    python benchmarks/bench_index.py --data ../shared/data --all --sizes 10000     # everything, one run
    python benchmarks/bench_index.py --data ../shared/data [--sizes 10000 100000] [--vectors-1m]

`--all` runs every section below one after another in one process and reports each section's
duration and the machine's load before and after it: the builds, encode rates, cold CLI and
agreement; approximate search at `--ann` sizes (default 1M) on composed prompts (prompt_corpus.py:
real subjects and modifiers recombined, embedded with the default static embedder, queried with
held-out podvodka short prompts); bench_ann_scale.py at `--scale-n` vectors (default 10M) of the
same kind; and the Ray builds. On a 2-core machine it takes about an hour and a half.

The public prompts (podvodka long prompts + DiffusionDB/ImageReward SFW prompts, ~19k) are
scaled up with seeded perturbations (modifiers shuffled, dropped, borrowed from another prompt)
and a share of exact repeats (`--repeat-share`, default 0.2: DiffusionDB's 2M rows hold ~1.5M
distinct prompts). Reported per size: build throughput (input rows/s, cleaning and writing
included), size on disk and of the vectors in memory, load time (open + first search), warm
search and suggest latency p50/p95; builds use `--embedder` (default: the index default,
static-minilm). In the same run, on the same sample of rows, each embedder's encode rate is timed
(rows/s), alternating so that load from other processes hits them alike: plain
`SentenceTransformer.encode` with MiniLM and default settings (the baseline every ratio divides
by), promptkit's MiniLM fast path (bf16, 77 tokens) and the static embedder. Top-5 and top-10
agreement compare the first size's `search` results (static indexes: re-scored with MiniLM) and its
vectors' own neighbours with exact float32 search over plain float32 MiniLM embeddings, on
held-out podvodka short prompts.
`--vectors-1m` times load and search on 1M random unit vectors written by the index writer,
since embedding 1M prompts on 2 busy cores takes hours (its build time is extrapolated).
`--ann N [N ...]` writes N unit vectors through the index writer (which adds the usearch HNSW
graph past `ann.ANN_MIN_VECTORS`) and reports graph build time, file sizes, recall@10 against
exact float16 search and p50/p95 latency, for composed prompts (`--ann-kinds prompts`, as in
`--all`), uniform random vectors (`uniform`: no neighbour structure at all, the worst case) and
clustered ones (`clustered`: 50 vectors a centre, cosine ~0.65 to it); `--expansions 256 512`
also searches the same graphs with those search expansions. `--exact-sizes` times the exact scan
that indexes below the threshold use. `--only-ann` skips the prompt builds. `--query-path` compares the numpy MiniLM query vectors
with the bf16 build path on held-out prompts and times cold `promptkit search` / `suggest` runs
(wall and peak RSS through /usr/bin/time, second run of each) on a 3,000-prompt index.
`--ray [--ray-rows 20000 60000]` builds the same rows single-process and on a local Ray instance started
beforehand (as a running cluster would be), in one run: rows/s, and peak RSS of the driver, the Ray
workers and Ray's own processes, with the driver's growth per million rows from the slope between sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from prompt_corpus import base_prompts, composed_prompts, heldout_queries, scaled


def percentiles(times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def embedder_rates(sample: list[str], repeats: int = 2) -> dict[str, float]:
    """rows/s of plain SentenceTransformer.encode (defaults), promptkit's MiniLM fast path and the static
    embedder on the same rows, alternated so that load from other processes hits them alike. The
    promptkit paths include the cleaning and de-duplication an index build does."""
    from sentence_transformers import SentenceTransformer

    from promptkit.core.datasets import PromptRecord, clean_prompts
    from promptkit.retrieval.embedding import Embedder, EmbedSettings, get_embedder, packaged_model_path

    plain = SentenceTransformer(str(packaged_model_path()), device="cpu")
    paths = {"plain": plain.encode, "minilm-fast": Embedder.load(None, EmbedSettings()).encode,
             "static": get_embedder("static-minilm").encode}
    seconds = dict.fromkeys(paths, 0.0)
    for encode in paths.values():
        encode(sample[:64])
    for _ in range(repeats):
        for name, encode in paths.items():
            rows = sample if name == "plain" else None
            seconds[name] += timed(lambda e=encode, r=rows: e(r if r is not None else clean_prompts(PromptRecord(p) for p in sample)[0]))
    return {name: repeats * len(sample) / s for name, s in seconds.items()}


def agreement(index, queries: list[str], corpus: list[str], ks: tuple[int, ...] = (5, 10), rerank: bool = True) -> dict[int, float]:
    """Mean share of the exact float32 top k (plain MiniLM encode) that `index.search` returns in its top k, per k
    (`rerank`: as `search` answers; False: the index's own vectors alone)."""
    from sentence_transformers import SentenceTransformer

    from promptkit.retrieval.embedding import packaged_model_path

    plain = SentenceTransformer(str(packaged_model_path()), device="cpu")
    exact_corpus = plain.encode(corpus, normalize_embeddings=True, convert_to_numpy=True)
    exact_queries = plain.encode(queries, normalize_embeddings=True, convert_to_numpy=True)
    position = {p: i for i, p in enumerate(corpus)}
    overlap: dict[int, list[float]] = {k: [] for k in ks}
    for query, q in zip(queries, exact_queries):
        exact = np.argsort(-(exact_corpus @ q))[:max(ks)].tolist()
        for k in ks:  # each k searched on its own: re-scoring takes max(k, RERANK) candidates
            found = [position[hit.prompt] for hit in index.search(query, k, rerank=rerank)]
            overlap[k].append(len(set(found) & set(exact[:k])) / k)
    return {k: float(np.mean(v)) for k, v in overlap.items()}


def measure(name: str, rows: list[str], queries: list[str], embedder: str | None = None) -> dict:
    from promptkit.modifiers.lexicon import get_lexicon
    from promptkit.retrieval.index import Index
    from promptkit.retrieval.suggest import Suggester

    folder = Path(os.environ["PROMPTKIT_DATA_DIR"])
    source = folder / f"{name}.txt"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = Index.build(source, name, force=True, embedder=embedder)
    build_s = result.seconds
    path = result.index.path
    disk = sum(f.stat().st_size for f in path.iterdir())
    load_s = timed(lambda: Index.load(name).nearest(np.ones(result.index.embeddings.shape[1], np.float32), 10))
    index = Index.load(name)
    index.search(queries[0])
    search_t = [timed(lambda q=q: index.search(q, 10)) for q in queries]
    suggester = Suggester(index, get_lexicon())
    suggest_t = [timed(lambda q=q: suggester.suggest(q, 10)) for q in queries]
    return {
        "rows": len(rows), "prompts": index.size, "build_s": build_s, "rows_per_s": len(rows) / build_s,
        "disk_mb": disk / 1e6, "vectors_mb": index.embeddings.nbytes / 1e6, "load_s": load_s,
        "search": percentiles(search_t), "suggest": percentiles(suggest_t), "index": index,
    }


def million_vectors(dim: int = 384, n: int = 1_000_000, queries: int = 50) -> dict:
    """Load and search time on 1M random unit vectors saved through the index writer."""
    from promptkit.retrieval.index import Index
    from promptkit.retrieval.index_files import write_index_files
    from promptkit.retrieval.store import index_path

    rng = np.random.default_rng(0)
    vectors = np.empty((n, dim), dtype=np.float16)
    for start in range(0, n, 100_000):
        block = rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32)
        vectors[start:start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    prompts = [f"prompt {i}" for i in range(n)]
    manifest = {"format": 1, "name": "vectors-1m", "sources": ["random"], "content_hash": "-", "prompts": n, "modifiers": 0,
                "embedder": {"name": "all-MiniLM-L6-v2", "dim": dim, "fast": True, "max_tokens": 77}, "dtype": "float16"}
    write_index_files(index_path("vectors-1m"), manifest, vectors, prompts, [False] * n, [], np.zeros(0, np.int64),
                      np.zeros(0, np.int32), np.zeros(n + 1, np.int64))
    del vectors
    load_s = timed(lambda: Index.load("vectors-1m").nearest(np.ones(dim, np.float32), 10))
    index = Index.load("vectors-1m")
    qs = rng.standard_normal((queries, dim), dtype=np.float32)
    index.nearest(qs[0], 10)
    search_t = [timed(lambda q=q: index.nearest(q, 10)) for q in qs]
    disk = sum(f.stat().st_size for f in index.path.iterdir())
    return {"load_s": load_s, "search": percentiles(search_t), "vectors_mb": index.embeddings.nbytes / 1e6, "disk_mb": disk / 1e6}


def synthetic_vectors(n: int, kind: str, dim: int = 384, queries: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n float16 unit vectors and float32 unit queries: uniform on the sphere, or clustered."""
    rng = np.random.default_rng(seed)

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    centres = unit(rng.standard_normal((max(1, n // 50), dim), dtype=np.float32)) if kind == "clustered" else None

    def draw(m):
        if centres is None:
            return unit(rng.standard_normal((m, dim), dtype=np.float32))
        return unit(centres[rng.integers(0, len(centres), m)] + 0.06 * rng.standard_normal((m, dim), dtype=np.float32))

    vectors = np.empty((n, dim), dtype=np.float16)
    for start in range(0, n, 100_000):
        vectors[start:start + min(100_000, n - start)] = draw(min(100_000, n - start))
    return vectors, draw(queries).astype(np.float32)


def prompt_vectors(data: Path, n: int, queries: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """n composed prompts (prompt_corpus.composed_prompts) embedded with the default static embedder, as
    float16, and held-out podvodka short prompts as float32 queries: the realistic case."""
    from promptkit.retrieval.embedding import get_embedder

    embedder = get_embedder("static-minilm")
    vectors = np.empty((n, embedder.dim), dtype=np.float16)
    start = 0
    for rows in composed_prompts(data, n):
        vectors[start:start + len(rows)] = embedder.encode(rows)
        start += len(rows)
    return vectors, embedder.encode(heldout_queries(data, queries))


def exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    best = np.zeros((len(queries), 0), np.int64)
    best_scores = np.zeros((len(queries), 0), np.float32)
    for start in range(0, len(vectors), 200_000):
        scores = queries @ vectors[start:start + 200_000].astype(np.float32).T
        ids = np.concatenate([best, np.argsort(-scores, axis=1)[:, :10] + start], axis=1)
        all_scores = np.concatenate([best_scores, np.take_along_axis(scores, ids[:, best.shape[1]:] - start, axis=1)], axis=1)
        order = np.argsort(-all_scores, axis=1)[:, :10]
        best, best_scores = np.take_along_axis(ids, order, axis=1), np.take_along_axis(all_scores, order, axis=1)
    return best


def ann_vectors(n: int, kind: str, data: Path, expansions: list[int]) -> dict:
    """Graph build time, sizes, and per search expansion (the shipped one first) recall@10 against exact
    search and latency of `Index.nearest` on n vectors; the other expansions are set on the same graph."""
    from promptkit.retrieval import ann
    from promptkit.retrieval.index import Index
    from promptkit.retrieval.index_files import write_index_files
    from promptkit.retrieval.store import index_path

    vectors, queries = prompt_vectors(data, n) if kind == "prompts" else synthetic_vectors(n, kind)
    truth = exact_top10(vectors, queries)
    name = f"ann-{kind}-{n}"
    manifest = {"format": 1, "name": name, "sources": [kind], "content_hash": "-", "prompts": n, "modifiers": 0,
                "embedder": {"name": "synthetic", "dim": vectors.shape[1]}, "dtype": "float16"}
    started = time.perf_counter()
    write_index_files(index_path(name), manifest, vectors, [""] * n, [False] * n, [], np.zeros(0, np.int64),
                      np.zeros(0, np.int32), np.zeros(n + 1, np.int64))
    build_s = time.perf_counter() - started
    del vectors
    load_s = timed(lambda: Index.load(name))
    index = Index.load(name)
    assert (index.graph is not None) == ann.wants_ann(n)
    searched = {}
    for expansion in dict.fromkeys([ann.EXPANSION_SEARCH, *expansions]) if index.graph is not None else [None]:
        if expansion is not None:
            index.graph.expansion_search = expansion
        found, times = [], []
        for q in queries:
            times.append(timed(lambda q=q, found=found: found.append(index.nearest(q, 10)[0])))
        recall = float(np.mean([len(set(f.tolist()) & set(t.tolist())) / 10 for f, t in zip(found, truth)]))
        searched[expansion] = {"recall": recall, "search": percentiles(times)}
    sizes = {f.name: f.stat().st_size / 1e6 for f in index.path.iterdir()}
    return {"build_s": build_s, "load_s": load_s, "searched": searched, "ann_mb": sizes.get(ann.ANN_FILE, 0.0),
            "vectors_mb": sizes["embeddings.npy"]}


def exact_scan(sizes: list[int], queries: int = 50) -> list[str]:
    from promptkit.retrieval import ann

    lines = []
    for n in sizes:
        vectors, qs = synthetic_vectors(n, "uniform", queries=queries)
        t = [timed(lambda q=q, v=vectors: ann.nearest(v, None, q, 10, None)) for q in qs]
        lines.append(f"exact scan (usearch float16 kernel, 1 thread) over {n:,} vectors: p50 {percentiles(t)[0]:.1f} ms, p95 {percentiles(t)[1]:.1f} ms")
    return lines


def report_ann(args) -> None:
    from promptkit.retrieval import ann

    for line in exact_scan(args.exact_sizes):
        print(line, flush=True)
    print(f"\nANN: usearch HNSW, int8, connectivity {ann.CONNECTIVITY}, expansion add/search {ann.EXPANSION_ADD}/{ann.EXPANSION_SEARCH}, "
          f"x{ann.RERANK} candidates re-scored against float16; threshold {ann.ANN_MIN_VECTORS:,} vectors; 200 queries, 1 search thread\n")
    print("| vectors | kind | graph build | ann.usearch | embeddings.npy | load | recall@10 | p50 / p95 |\n|---:|---|---:|---:|---:|---:|---:|---:|", flush=True)
    for n in args.ann:
        for kind in args.ann_kinds:
            r = ann_vectors(n, kind, args.data, args.expansions)
            for expansion, m in r["searched"].items():
                setting = "" if expansion in (None, ann.EXPANSION_SEARCH) else f" (search expansion {expansion})"
                print(f"| {n:,} | {kind}{setting} | {r['build_s']:.0f} s | {r['ann_mb']:.0f} MB | {r['vectors_mb']:.0f} MB | "
                      f"{r['load_s'] * 1000:.0f} ms | {m['recall']:.3f} | {m['search'][0]:.2f} / {m['search'][1]:.2f} ms |", flush=True)


def query_path(base: list[str], corpus_n: int = 3000, held_n: int = 300) -> list[str]:
    """Numpy query vectors against the bf16 build path: cosine and top-5 overlap; cold CLI wall and RSS."""
    import shutil
    import subprocess

    from promptkit.core.minilm import packaged_minilm
    from promptkit.retrieval.embedding import EmbedSettings, get_embedder
    from promptkit.retrieval.index import Index

    prompts = list(base)
    random.Random(0).shuffle(prompts)
    corpus, held = prompts[:corpus_n], prompts[corpus_n:corpus_n + held_n]
    source = Path(os.environ["PROMPTKIT_DATA_DIR"]) / "query-path.txt"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("\n".join(corpus) + "\n", encoding="utf-8")
    index = Index.build(source, "query-path", force=True, embedder="all-MiniLM-L6-v2").index
    Index.build(source, "query-path-static", force=True)
    built = get_embedder("all-MiniLM-L6-v2", EmbedSettings()).encode(held)
    built /= np.linalg.norm(built, axis=1, keepdims=True)
    fast = np.stack([packaged_minilm().encode(p) for p in held])
    cos = np.sum(built * fast, axis=1)
    overlap = [len(set(index.nearest(f, 5)[0].tolist()) & set(index.nearest(b, 5)[0].tolist())) / 5 for f, b in zip(fast, built)]
    lines = [f"numpy query vs bf16 build path, {held_n} held-out prompts over a {index.size:,}-prompt index: cosine min {cos.min():.4f}, "
             f"mean {cos.mean():.4f}; top-5 overlap {np.mean(overlap):.3f}"]
    cli = shutil.which("promptkit") or str(Path(sys.executable).with_name("promptkit"))
    for name in ("query-path", "query-path-static"):
        for command in ("search", "suggest"):
            for _ in range(2):  # the second run is reported: page cache warm
                run = subprocess.run(["/usr/bin/time", "-f", "%e s %M KB", cli, command, "a castle on a hill", "--index", name, "--json"],
                                     capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
            lines.append(f"cold `promptkit {command}` with the {Index.load(name).embedder} index: {run.stderr.strip().splitlines()[-1]}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat-share", type=float, default=0.2)
    parser.add_argument("--baseline-sample", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--agreement-queries", type=int, default=200)
    parser.add_argument("--vectors-1m", action="store_true")
    parser.add_argument("--ann", type=int, nargs="*", default=[])
    parser.add_argument("--ann-kinds", nargs="+", default=["clustered", "uniform"], choices=["prompts", "clustered", "uniform"])
    parser.add_argument("--expansions", type=int, nargs="*", default=[], help="--ann: other search expansions tried on the same graphs")
    parser.add_argument("--exact-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--only-ann", action="store_true")
    parser.add_argument("--query-path", action="store_true")
    parser.add_argument("--ray", action="store_true", help="Ray builds on a local instance beside single-process builds (needs promptkit[ray])")
    parser.add_argument("--ray-rows", type=int, nargs="+", default=[20_000, 60_000], help="rows of each --ray build pair")
    parser.add_argument("--all", action="store_true", help="every section in one run: builds, encode rates, agreement, cold CLI, "
                        "approximate search at --ann sizes (default 1M) and --scale-n (default 10M) on composed prompts, Ray")
    parser.add_argument("--scale-n", type=int, default=10_000_000, help="--all: vectors of the bench_ann_scale.py run")
    parser.add_argument("--scale-expansion-add", type=int, default=None,
                        help="--all: its build's expansion (default: the index's own)")
    parser.add_argument("--embedder", default=None, help="embedder of the measured builds (default: the index default, static-minilm)")
    args = parser.parse_args()

    os.environ.setdefault("PROMPTKIT_DATA_DIR", tempfile.mkdtemp(prefix="promptkit-bench-"))
    if args.all:
        run_all(args)
        return
    if args.ann or args.exact_sizes:
        print(f"# load average {os.getloadavg()[0]:.1f}", flush=True)
        report_ann(args)
        if args.only_ann:
            return
    import torch

    load_before = os.getloadavg()[0]
    base = base_prompts(args.data)
    if args.query_path:
        print("\n".join(query_path(base)), flush=True)
        return
    if args.ray:
        print(f"# load average {load_before:.1f}", flush=True)
        print("\n".join(ray_builds(args, base)), flush=True)
        print(f"Load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}.")
        return
    queries = heldout_queries(args.data)
    print(f"# {len(base):,} base prompts; torch threads {torch.get_num_threads()}; load average {load_before:.1f}", file=sys.stderr)

    report_builds(args, base, queries)
    print(f"Torch threads {torch.get_num_threads()}; load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}.")


def report_builds(args, base: list[str], queries: list[str]) -> None:
    """Per-embedder encode rates against plain encode, the index table, and agreement with exact MiniLM search."""
    sample = scaled(base, args.baseline_sample, seed=1, repeat_share=args.repeat_share)
    rates = embedder_rates(sample)
    plain_rate = rates["plain"]
    print(f"# encode sample: {rates}", file=sys.stderr)
    lines = [f"Index builds with embedder {args.embedder or 'static-minilm (default)'}:", "",
             "| rows | distinct prompts | build rows/s | vs plain encode | disk | vectors in memory | load | search p50 / p95 | suggest p50 / p95 |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    agree = None
    for n in args.sizes:
        rows = scaled(base, n, seed=n, repeat_share=args.repeat_share)
        m = measure(f"bench-{n}", rows, queries[: args.queries], args.embedder)
        print(f"# {n}: {m['rows_per_s']:.0f} rows/s", file=sys.stderr)
        if agree is None:
            index = m["index"]
            corpus = [index.prompt(i) for i in range(index.size)]
            agree = {rerank: agreement(index, queries[: args.agreement_queries], corpus, rerank=rerank) for rerank in (True, False)}
        lines.append(
            f"| {n:,} | {m['prompts']:,} | {m['rows_per_s']:.0f} | {m['rows_per_s'] / plain_rate:.2f}x | {m['disk_mb']:.1f} MB | "
            f"{m['vectors_mb']:.1f} MB | {m['load_s']:.2f} s | {m['search'][0]:.1f} / {m['search'][1]:.1f} ms | "
            f"{m['suggest'][0]:.1f} / {m['suggest'][1]:.1f} ms |"
        )
    if args.vectors_1m:
        v = million_vectors()
        build = 1_000_000 / m["rows_per_s"] / 3600
        lines.append(
            f"| 1,000,000 (random vectors) | - | ~{m['rows_per_s']:.0f} (extrapolated: ~{build:.1f} h) | - | {v['disk_mb']:.0f} MB | "
            f"{v['vectors_mb']:.0f} MB | {v['load_s']:.2f} s | {v['search'][0]:.1f} / {v['search'][1]:.1f} ms | - |"
        )
    print("\n".join(lines))
    print(f"\nEncode rate on a {len(sample):,}-row sample (same rows, alternated; promptkit paths include cleaning and de-duplication):\n")
    print("| embedder | rows/s | vs plain encode |\n|---|---:|---:|")
    for name, label in (("plain", "plain `SentenceTransformer.encode` (float32, 256 tokens, batch 32)"),
                        ("minilm-fast", "all-MiniLM-L6-v2, promptkit fast path (bf16, 77 tokens, batch 128)"),
                        ("static", "static-minilm (the default)")):
        print(f"| {label} | {rates[name]:,.0f} | {rates[name] / plain_rate:.1f}x |")
    print("\n".join(cold_cli(f"bench-{args.sizes[0]}", args.sizes[0])))
    print(f"\nAgreement of `search` with exact float32 MiniLM search ({args.sizes[0]:,} rows, {args.agreement_queries} held-out podvodka "
          f"queries): top-5 {agree[True][5]:.1%}, top-10 {agree[True][10]:.1%}; the index's vectors alone (rerank=False): "
          f"top-5 {agree[False][5]:.1%}, top-10 {agree[False][10]:.1%}.")


@contextlib.contextmanager
def section(title: str):
    """A heading, then the section's output, then how long it took and the machine's load before and after."""
    load, started = os.getloadavg()[0], time.perf_counter()
    print(f"\n## {title}\n", flush=True)
    yield
    print(f"\n({(time.perf_counter() - started) / 60:.1f} min; 1-minute load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)",
          flush=True)


def run_all(args) -> None:
    """Every measurement of the index in one run, one section after another on the same machine."""
    base, queries = base_prompts(args.data), heldout_queries(args.data)
    print(f"# bench_index.py --all: {os.cpu_count()} CPUs, {len(base):,} base prompts, {len(queries):,} held-out queries", flush=True)
    with section("Index builds, encode rates, cold CLI, agreement with exact MiniLM search"):
        report_builds(args, base, queries)
    args.ann, args.ann_kinds = args.ann or [1_000_000], ["prompts"]
    with section(f"Approximate search at {', '.join(f'{n:,}' for n in args.ann)} vectors (composed prompts, static embedder)"):
        report_ann(args)
    with section(f"Approximate search at {args.scale_n:,} vectors: memory, latency, recall (bench_ann_scale.py)"):
        print(scale_run(args), flush=True)
    with section("Ray build on a local instance beside the single-process build"):
        print("\n".join(ray_builds(args, base)), flush=True)


def scale_run(args) -> str:
    """bench_ann_scale.py over composed prompts in its own processes (its build and its fresh search process);
    its folder (~N x 920 bytes) is removed afterwards."""
    import shutil

    folder = Path(tempfile.mkdtemp(prefix="promptkit-ann-scale-"))
    try:
        command = [sys.executable, str(Path(__file__).with_name("bench_ann_scale.py")), "--n", str(args.scale_n), "--kind", "prompts",
                   *(["--expansion-add", str(args.scale_expansion_add)] if args.scale_expansion_add else []),
                   "--recall-queries", "200", "--data", str(args.data), "--folder", str(folder)]
        print(f"`{' '.join(['python', 'benchmarks/bench_ann_scale.py', *command[2:-2]])}`\n", flush=True)
        return subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cold_cli(index_name: str, rows: int, runs: int = 3) -> list[str]:
    """Cold `promptkit search` and `suggest` on the index just built: new processes, median wall and
    peak RSS (GNU time), after one unmeasured run so the page cache is warm, as a user's second call."""
    if not Path("/usr/bin/time").exists():
        return ["\n(cold CLI figures need GNU time at /usr/bin/time; skipped)"]
    lines = [f"\nCold CLI on the {rows:,}-row index ({runs} runs after a warm-up; median wall, peak RSS):\n",
             "| command | wall | peak RSS |", "|---|---:|---:|"]
    for command in (["search", "a castle on a hill", "--index", index_name, "--json"],
                    ["search", "a castle on a hill", "--index", index_name, "--json", "--no-rerank"],
                    ["suggest", "a castle on a hill", "--index", index_name, "--json"]):
        walls, peaks = [], []
        for run in range(runs + 1):
            done = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "promptkit", *command],
                                  capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            wall, peak_kb = done.stderr.strip().splitlines()[-1].split()
            if run:
                walls.append(float(wall))
                peaks.append(int(peak_kb) / 1024)
        shown = " ".join(c if " " not in c else f'"{c}"' for c in command)
        lines.append(f"| `promptkit {shown}` | {statistics.median(walls):.2f} s | {max(peaks):.0f} MB |")
    return lines


class PeakRss:
    """Peak resident memory, sampled every 0.1 s while a build runs: this process (the driver), each Ray
    worker process (title 'ray::...') and Ray's own processes (raylet, GCS, ...), all descendants of this one."""

    def __enter__(self):
        import threading

        import psutil

        self.driver = self.worker = self.workers = self.system = 0
        self._me, self._stop = psutil.Process(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.1):
            workers = system = 0
            try:
                self.driver = max(self.driver, self._me.memory_info().rss)
                for child in self._me.children(recursive=True):
                    with_title = child.cmdline()[:1]
                    rss = child.memory_info().rss
                    if with_title and with_title[0].startswith("ray::"):
                        workers += rss
                        self.worker = max(self.worker, rss)
                    else:
                        system += rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.workers, self.system = max(self.workers, workers), max(self.system, system)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def ray_builds(args, base: list[str]) -> list[str]:
    """The same rows built single-process and with `ray=True` on a local Ray instance (this machine's
    cores), in one run; rates, peak memory, and the memory a million prompts needs (from the slope
    between the sizes: memory that grows with the rows, on top of what a build costs at any size)."""
    import logging

    import ray

    from promptkit.retrieval.index import Index

    embedder = getattr(args, "embedder", None)  # --embedder: the builds' embedder (default: the index default)
    started = time.perf_counter()
    ray.init(logging_level=logging.ERROR, log_to_driver=False)  # a running "cluster", as on real ones
    startup = time.perf_counter() - started
    folder = Path(os.environ["PROMPTKIT_DATA_DIR"])
    lines = [f"Ray builds on a local instance ({int(ray.cluster_resources().get('CPU', 0))} CPUs, started in {startup:.1f} s) "
             f"beside single-process builds, embedder {embedder or 'the default'}:", "",
             "| rows | prompts | engine | build rows/s | driver peak RSS | Ray worker peak RSS (largest / all) | Ray's own processes |",
             "|---:|---:|---|---:|---:|---:|---:|"]
    driver = {}
    try:
        warm = folder / "bench-ray-warm.txt"  # imports and model loads happen here, not in the first measured build
        warm.write_text("\n".join(base[:500]) + "\n", encoding="utf-8")
        for engine in ("single", "ray"):
            Index.build(warm, f"bench-warm-{engine}", force=True, embedder=embedder, ray=engine == "ray")
        for n in args.ray_rows:
            source = folder / f"bench-ray-{n}.txt"
            source.write_text("\n".join(scaled(base, n, seed=n + 7, repeat_share=args.repeat_share)) + "\n", encoding="utf-8")
            built = {}
            for engine in ("single", "ray"):
                with PeakRss() as peak:
                    built[engine] = Index.build(source, f"bench-{engine}-{n}", force=True, embedder=embedder, ray=engine == "ray")
                result = built[engine]
                driver[(engine, n)] = peak.driver
                ray_memory = f"{peak.worker / 1e6:,.0f} / {peak.workers / 1e6:,.0f} MB | {peak.system / 1e6:,.0f} MB"
                lines.append(f"| {n:,} | {result.index.size:,} | {engine} | {n / result.seconds:,.0f} | {peak.driver / 1e6:,.0f} MB | "
                             f"{ray_memory if engine == 'ray' else '- | -'} |")
            same = np.array_equal(np.asarray(built["ray"].index.embeddings), np.asarray(built["single"].index.embeddings))
            lines.append(f"|  |  | vectors identical | {same} |  |  |  |")
    finally:
        ray.shutdown()
    if len(args.ray_rows) > 1:
        small, big = min(args.ray_rows), max(args.ray_rows)
        for engine in ("single", "ray"):
            slope = (driver[(engine, big)] - driver[(engine, small)]) / (big - small) * 1e6
            lines.append(f"\n{engine}: driver peak grows {slope / 1e9:.2f} GB per million rows (slope between {small:,} and {big:,} rows).")
    return lines


if __name__ == "__main__":
    main()
