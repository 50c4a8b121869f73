"""`promptkit train-ranker`: train the modifier ranker (eval-suggest measures it beside the relevance model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, stderr_console, stdout_console


def train_ranker(
    sources: Annotated[list[str], typer.Argument(metavar="SOURCES", help="Short->long pair files (or prompt files) to learn from.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FOLDER", help="Folder to write the ranker to (replaced only when training finishes).")],
    modifiers: Annotated[int, typer.Option("--modifiers", help="How many of the most common modifiers it scores.")] = 400,
    max_features: Annotated[int, typer.Option("--max-features", help="How many of the most common words and word pairs it reads.")] = 6000,
    heldout_percent: o.HeldoutPercent = 10.0,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even when it exists and is not a promptkit ranker (everything in it is lost).")] = False,
    as_json: o.Json = False,
) -> None:
    """Train the modifier ranker: P(modifier in the full prompt | short prompt), a logistic regression."""
    with cli_errors():
        from ..training.ranker import RankerConfig
        from ..training.ranker import train_ranker as run

        config = RankerConfig(sources=tuple(sources), out=str(out), modifiers=modifiers, max_features=max_features,
                              heldout_percent=heldout_percent, force=force)
        err = stderr_console()
        with err.status("training the modifier ranker (L2 strength chosen on the development buckets)"):
            result = run(config)
        summary = {
            "out": str(result.out), "examples": result.examples, "dev_examples": result.dev_examples,
            "modifiers": result.modifiers, "features": result.features, "l2": result.l2,
            "dev_precision_at_5": result.dev_scores, "dev_popular_precision_at_5": result.dev_popular,
        }
        if as_json:
            typer.echo(json.dumps(summary))
            return
        console = stdout_console()
        console.print(f"wrote {result.out}: {result.modifiers} modifiers x {result.features:,} features, from {result.examples:,} prompts")
        scores = ", ".join(f"L2 {k}: {v:.4f}" for k, v in result.dev_scores.items())
        console.print(f"development precision@5 ({result.dev_examples:,} prompts): {scores}; most popular: {result.dev_popular:.4f}; chose L2 {result.l2:g}")
