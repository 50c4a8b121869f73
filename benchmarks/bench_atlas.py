"""Topics and atlas at scale: build time and peak memory for 10k and 100k prompts, and the 2D layouts compared.

    python benchmarks/bench_atlas.py --data ../shared/data [--base-index NAME] [--sizes 10000 100000]

Rows: public prompts (podvodka + DiffusionDB SFW, as in bench_index.py) perturbed with seeded
modifier shuffles, drops and borrowings. Embedding 100k prompts on 2 cores takes far longer than
the atlas itself, so each row's vector is its base prompt's real all-MiniLM-L6-v2 vector plus
seeded noise (cosine ~0.93 to it), renormalised: the base vectors come from `--base-index` (an
index built with the default embedder), else `--embed` base prompts are embedded here. Each size
is written through the index writer (no ANN graph: the atlas never searches) into a temporary
data folder, then `promptkit atlas` runs in a fresh process, twice: cold (topics and map computed
and stored beside the index) and warm (read back). Wall time and peak RSS of each process are
reported (CPU from getrusage, peak RSS from VmHWM, in the child).

`--compare N` lays out N points of the smallest size with each candidate projection and reports
time and quality: 10-NN preservation (the share of each point's 10 nearest neighbours in the
50-dimensional PCA space that are among its 10 nearest on the map) and topic purity (the share of
its 10 nearest map neighbours in its own topic). openTSNE and umap-learn are measured when
importable (they are not dependencies: `pip install openTSNE umap-learn`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from prompt_corpus import base_prompts, scaled  # noqa: E402


def base_vectors(args, prompts: list[str]) -> tuple[list[str], np.ndarray]:
    if args.base_index:
        from promptkit.retrieval.index import Index

        index = Index.load(args.base_index)
        return [index.prompt(i) for i in range(index.size)], np.asarray(index.embeddings, dtype=np.float32)
    from promptkit.retrieval.embedding import get_embedder

    chosen = prompts[: args.embed]
    return chosen, np.asarray(get_embedder("all-MiniLM-L6-v2").encode(chosen), dtype=np.float32)


def rows_for(base: list[str], vectors: np.ndarray, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """n perturbed prompts (distinct), each with its base prompt's vector plus noise."""
    rng = np.random.default_rng(seed)
    texts = scaled(base, n * 2, seed, repeat_share=0.0)
    order = np.arange(len(texts)) % len(base)
    seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        if text not in seen and len(seen) < n:
            seen[text] = i
    picked = np.fromiter(seen.values(), dtype=np.int64)
    noisy = vectors[order[picked]] + rng.normal(scale=0.02, size=(len(picked), vectors.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return list(seen), noisy


def write_index(data_dir: Path, name: str, prompts: list[str], vectors: np.ndarray) -> None:
    from promptkit.core import config
    from promptkit.modifiers.stats import modifier_table
    from promptkit.retrieval import index_files

    os.environ["PROMPTKIT_DATA_DIR"] = str(data_dir)
    index_files.wants_ann = lambda n: False  # the atlas never searches; the HNSW graph would only cost time here
    vocab, counts, ids, offsets = modifier_table(prompts)
    manifest = {"format": index_files.FORMAT_VERSION, "name": name, "sources": ["bench"], "content_hash": f"bench-{len(prompts)}",
                "embedder": {"name": "all-MiniLM-L6-v2", "dim": int(vectors.shape[1]), "fast": True, "max_tokens": 77},
                "prompts": len(prompts), "modifiers": len(vocab), "dtype": "float16", "keep_nsfw": False,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    index_files.write_index_files(config.indexes_dir() / name, manifest, vectors, prompts, [False] * len(prompts), vocab, counts, ids, offsets)


CHILD = """import resource, sys
from promptkit.cli.app import app
try:
    app(args=sys.argv[1:], prog_name="promptkit", standalone_mode=False)
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report this benchmark's own memory
    peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    sys.stderr.write(f"\\nUSAGE {usage.ru_utime + usage.ru_stime} {peak}\\n")
"""


def run_atlas(data_dir: Path, name: str, out: Path) -> tuple[float, float, float, dict]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one `promptkit atlas` process, and what it printed."""
    env = dict(os.environ, PROMPTKIT_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "atlas", "--index", name, "--out", str(out), "--json", "--force"],
                          env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    cpu, peak = done.stderr.rsplit("USAGE ", 1)[1].split()
    return wall, float(cpu), int(peak) / 1024, json.loads(done.stdout)


def knn(points: np.ndarray, k: int = 10) -> np.ndarray:
    squared = (points ** 2).sum(1)
    distances = squared[:, None] - 2 * points @ points.T + squared[None, :]
    np.fill_diagonal(distances, np.inf)
    return np.argsort(distances, axis=1)[:, :k]


def compare_layouts(vectors: np.ndarray, count: int, seed: int = 0) -> list[tuple[str, float, float, float]]:
    from promptkit.topicmap.clustering import cluster
    from promptkit.topicmap.projection import layout
    from promptkit.topicmap.vectors import reduced

    reduced_all = reduced(vectors, seed)
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), count, replace=False))
    points = reduced_all[rows]
    found = cluster(points, None, seed)
    high = knn(points)

    def anchored():
        return layout(points, found.labels, found.centres, np.arange(count), seed).xy

    def pca():
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(points)

    def tsne():
        from openTSNE import TSNE

        return np.asarray(TSNE(n_jobs=1, random_state=seed).fit(points))

    def umap_layout():
        import umap

        return umap.UMAP(random_state=seed, n_jobs=1).fit_transform(points)

    results = []
    for name, method in (("topic-anchored (promptkit)", anchored), ("PCA to 2D", pca), ("openTSNE", tsne), ("umap-learn", umap_layout)):
        start = time.perf_counter()
        try:
            xy = np.asarray(method(), dtype=np.float64)
        except ImportError:
            results.append((name, float("nan"), float("nan"), float("nan")))
            continue
        seconds = time.perf_counter() - start
        low = knn(xy)
        kept = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(high, low)])
        purity = float((found.labels[low] == found.labels[:, None]).mean())
        results.append((name, seconds, kept, purity))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--base-index", help="an index built with all-MiniLM-L6-v2 whose prompts and vectors seed the rows")
    parser.add_argument("--embed", type=int, default=3000, help="without --base-index: base prompts embedded here")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--compare", type=int, default=3000, help="points laid out by each projection (0: skip)")
    args = parser.parse_args()
    base, vectors = base_vectors(args, base_prompts(args.data))
    print(f"base: {len(base):,} prompts with real vectors; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-atlas-") as tmp:
        data_dir = Path(tmp)
        print("| prompts | run | wall | CPU | peak RSS | topics | drawn |")
        print("|---:|---|---:|---:|---:|---:|---:|")
        for n in args.sizes:
            prompts, noisy = rows_for(base, vectors, n, seed=n)
            write_index(data_dir, f"bench-{n}", prompts, noisy)
            for run in ("cold", "warm"):
                wall, cpu, peak, result = run_atlas(data_dir, f"bench-{n}", data_dir / f"atlas-{n}.html")
                print(f"| {len(prompts):,} | {run} | {wall:.1f} s | {cpu:.1f} s | {peak:,.0f} MB | {result['topics']} | {result['points']:,} |", flush=True)
    if args.compare:
        print(f"\n| layout of {args.compare:,} points | seconds | 10-NN kept | topic purity |\n|---|---:|---:|---:|")
        for name, seconds, kept, purity in compare_layouts(vectors, min(args.compare, len(vectors))):
            print(f"| {name} | {seconds:.1f} | {kept:.2f} | {purity:.2f} |" if seconds == seconds else f"| {name} | not installed | | |", flush=True)


if __name__ == "__main__":
    main()
