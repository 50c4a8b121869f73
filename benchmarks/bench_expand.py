"""Expansion speed: warm latency, batched vs a transformers pipeline loop, cold CLI wall time.

    python benchmarks/bench_expand.py [--model embedded] [--repeats 15]

Prints a markdown table. Figures are medians; the 1-minute load average is recorded beside them
because another busy process on a 2-core machine slows torch several-fold. The baseline (8
sequential `transformers.pipeline("text-generation")` calls, the way MagicPrompt's demo and
dynamicprompts run) is measured in the same run, on the same model and sampling settings.
promptkit's figures include everything `expand` does: sampling the candidates, embedding the
prompt for the relevance model, and selecting each variant's modifiers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROMPT = "oil painting of a cat sitting on a rainbow"


def median_ms(fn, repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()

    import torch
    from transformers import pipeline
    from transformers.utils import logging as hf_logging

    from promptkit.expansion.expander import Expander, ExpandSettings, load_prompt_model

    hf_logging.set_verbosity_error()
    load_before = os.getloadavg()[0]
    expander = Expander.load(args.model)
    settings = ExpandSettings()
    one, eight = ExpandSettings(n=1), ExpandSettings(n=8)
    expander.expand(PROMPT, seed=0, settings=eight)  # warm-up

    rows = []
    single = median_ms(lambda i: expander.expand(PROMPT, seed=i, settings=one), args.repeats)
    rows.append(("warm expand, 1 variant", f"{single:.0f} ms", "target <= 150 ms"))
    batched = median_ms(lambda i: expander.expand(PROMPT, seed=i, settings=eight), args.repeats)
    rows.append(("warm expand, 8 variants (one batched call)", f"{batched:.0f} ms", ""))

    # The baseline runs the same weights through transformers (promptkit's own runtime has no pipeline).
    reference = load_prompt_model(args.model, trainable=True)
    model, tokenizer = reference.model, reference.tokenizer
    generator = pipeline("text-generation", model=model, tokenizer=tokenizer, device="cpu")
    kwargs = dict(do_sample=True, temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p,
                  max_new_tokens=settings.max_new_tokens, pad_token_id=tokenizer.eos_token_id)
    generator(PROMPT + ",", **kwargs)  # warm-up

    def loop(i: int) -> None:
        torch.manual_seed(i)
        for _ in range(8):
            generator(PROMPT + ",", **kwargs)

    looped = median_ms(loop, max(3, args.repeats // 3))
    rows.append(("8 sequential transformers.pipeline calls (baseline)", f"{looped:.0f} ms", ""))
    rows.append(("batched speed-up over the loop", f"{looped / batched:.1f}x", "target >= 3x"))

    cold = []
    command = [str(Path(sys.executable).with_name("promptkit")), "expand", PROMPT, "--seed", "1", "--plain"]
    if args.model != "embedded":
        command += ["--model", args.model]
    for _ in range(args.cold_runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        cold.append(time.perf_counter() - start)
    rows.append(("cold `promptkit expand` (new process, load + 1 expansion)", f"{statistics.median(cold):.2f} s", "target <= 3 s"))

    load_after = os.getloadavg()[0]
    print(f"model: {expander.name}; torch threads: {torch.get_num_threads()}; load average {load_before:.2f} -> {load_after:.2f}")
    print()
    print("| measurement | median | note |")
    print("|---|---|---|")
    for name, value, note in rows:
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    main()
