"""Time to first grid: cold `promptkit compare` with the tiny random-weight pipeline, end to end.

    python benchmarks/bench_compare.py [--runs 5] [--baseline REV] [--stages]

Writes the tiny SD-2-shaped pipeline (random weights, 64x64) to a temporary folder, then runs
`promptkit compare PROMPT --model TINY --seed 1 --no-preview` in a new process `--runs` times and
prints the median wall time. With `--baseline REV` the same command also runs from the project as
it was at git revision REV (exported with `git archive` into a temporary folder), alternating
with the current tree run by run, so both see the same machine load. `--stages` times the steps
of one cold compare in a single process (imports, prompt model, expansion, render model, render)
to show where the time goes. The 1-minute load average is printed beside the figures: on a busy
2-core machine imports and torch slow down several-fold, so compare rows of one run only.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "a cat sitting on a rainbow"
ROOT = Path(__file__).resolve().parents[1]
STAGES = r"""
import sys, time
start = last = time.perf_counter()
def lap(name):
    global last
    now = time.perf_counter(); print(f"| {name} | {now - last:.2f} s |"); last = now
import promptkit.cli.app; lap("import the CLI")
import torch; lap("import torch")
from promptkit.core.hf import quiet_diffusers; quiet_diffusers(); import diffusers; lap("import diffusers")
from diffusers import StableDiffusionPipeline; lap("import the SD pipeline module (transformers, scipy)")
from promptkit.expansion.expander import get_expander; expander = get_expander(None); lap("load the prompt model")
expansions = expander.expand(sys.argv[2], seed=1, settings=__import__("promptkit.expansion.settings", fromlist=["x"]).ExpandSettings(n=3)); lap("expand (3 variants)")
from promptkit.rendering.renderer import load_for
from promptkit.rendering.settings import RenderSettings
backend, settings = load_for("diffusers", sys.argv[1], RenderSettings()); lap("load the render model")
backend.render([sys.argv[2]] + [e.expanded for e in expansions], [1] * 4, settings); lap("render 4 images")
print(f"| total | {time.perf_counter() - start:.2f} s |")
"""


def git_export(revision: str, into: Path) -> Path:
    """The project's `promptkit` and `data` folders as they were at `revision`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "promptkit", "data"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def cold_compare(source: Path, tiny: Path, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one `promptkit compare` in a new process, importing promptkit from `source`.
    CPU time (user + system) barely depends on what else runs; wall time does."""
    env = {**os.environ, "PYTHONPATH": str(source), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "promptkit", "compare", PROMPT, "--model", str(tiny), "--seed", "1", "--no-preview", "--out", str(out)]
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=source)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", metavar="REV", help="Also time the project at this git revision, run for run.")
    parser.add_argument("--stages", action="store_true", help="Time the steps of one cold compare in one process.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from promptkit.core.hf import quiet_diffusers
    from promptkit.rendering.backends.tiny import save_tiny_pipeline

    quiet_diffusers()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tiny = save_tiny_pipeline(tmp / "tiny-sd")
        print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs")
        if args.stages:
            print(f"load average {os.getloadavg()[0]:.2f}\n\n| stage | seconds |\n|---|---:|")
            env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
            subprocess.run([sys.executable, "-c", STAGES, str(tiny), PROMPT], env=env, check=True, stderr=subprocess.DEVNULL)
            print()
        sources = {"current": ROOT}
        if args.baseline:
            sources = {f"baseline ({args.baseline})": git_export(args.baseline, Path(tempfile.mkdtemp(dir=tmp))), **sources}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in sources}
        load_before = os.getloadavg()[0]
        cold_compare(ROOT, tiny, tmp / "warm-up")  # fills the OS file cache for both: they read the same libraries
        for run in range(args.runs):
            for name, source in sources.items():
                times[name].append(cold_compare(source, tiny, tmp / f"out-{run}-{len(times[name])}-{name.split()[0]}"))
        load_after = os.getloadavg()[0]
        print(f"| cold `promptkit compare`, tiny pipeline, {args.runs} runs | wall median | wall min | wall max | CPU median |")
        print("|---|---:|---:|---:|---:|")
        for name, values in times.items():
            walls, cpus = [w for w, _ in values], [c for _, c in values]
            print(f"| {name} | {statistics.median(walls):.2f} s | {min(walls):.2f} s | {max(walls):.2f} s | {statistics.median(cpus):.2f} s |")
        print(f"\nload average {load_before:.2f} -> {load_after:.2f}")


if __name__ == "__main__":
    main()
