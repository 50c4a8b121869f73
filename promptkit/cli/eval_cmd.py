"""`promptkit eval`: text metrics for expanders over a file of short prompts, beside two baselines."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..expansion.settings import ExpandSettings
from . import options as o
from .common import cli_errors, phase_progress, stdout_console

_DEFAULTS = ExpandSettings()


def evaluate(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="Short prompts: a txt file (one a line) or a pairs file with short and long prompts.")],
    model: Annotated[list[str] | None, typer.Option("--model", "-m", metavar="MODEL", show_default="embedded",
                                                    help="Expander model(s) to evaluate (repeatable).")] = None,
    baseline_data: Annotated[list[str] | None, typer.Option("--baseline-data", metavar="SOURCE", show_default="none",
                                                            help="Training prompts for the two baselines (repeatable).")] = None,
    heldout_percent: Annotated[float | None, typer.Option("--heldout-percent", metavar="PERCENT", show_default="all rows",
                                                          help="Use only rows in this held-out hash bucket (the one `train --val-percent` kept out).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", show_default="all", help="Evaluate at most this many prompts.")] = None,
    n: o.Variants = 4,
    seed: Annotated[int, typer.Option("--seed", "-s", metavar="SEED", help="Seed for every expansion call.")] = 0,
    temperature: o.Temperature = _DEFAULTS.temperature,
    top_k: o.TopK = _DEFAULTS.top_k,
    top_p: o.TopP = _DEFAULTS.top_p,
    length: o.Length = _DEFAULTS.length,
    min_modifiers: o.MinModifiers = _DEFAULTS.min_modifiers,
    old_modifiers: o.OldModifiers = None,
    neighbours: Annotated[list[str] | None, typer.Option("--neighbours", metavar="SOURCE", show_default="none",
                                                         help="Prompts the expanders never trained on (repeatable): adds relevance lift, generic, "
                                                         "conflict, redundancy, breadth, CLIP length and variant overlap columns.")] = None,
    rerank_temperature: o.RerankTemperature = _DEFAULTS.rerank_temperature,
    suggest: Annotated[bool, typer.Option("--suggest", help="Also evaluate each model with retrieval-augmented expansion (expand --suggest).")] = False,
    suggest_k: o.SuggestK = 3,
    index: o.IndexName = None,
    as_json: o.Json = False,
) -> None:
    """Measure expanders: relevance lift, coherence, length and variety (with --neighbours), prompt kept, budget, blocklist."""
    with cli_errors():
        from ..evaluation.expansion import evaluate as run_evaluation

        settings = ExpandSettings(n=n, temperature=temperature, top_k=top_k, top_p=top_p,
                                  length=o.length(length), min_modifiers=o.min_modifiers(min_modifiers, old_modifiers),
                                  rerank_temperature=rerank_temperature)
        with phase_progress() as progress:
            report = run_evaluation(
                source, model or [None], settings=settings, seed=seed, baseline_data=baseline_data or (),
                heldout_percent=heldout_percent, limit=limit, suggest_index=index, suggest_k=suggest_k,
                with_suggest=suggest, neighbours=neighbours or (), progress=progress,
            )
        if as_json:
            typer.echo(json.dumps(report.to_dict()))
        else:
            stdout_console(min_width=140).print(report_table(report))


# (title, key, format); the user-facing columns appear when eval ran with --neighbours.
BASIC_COLUMNS = [("keep prompt", "keep_prompt", "{:.0%}"), ("≤77 CLIP", "within_budget", "{:.0%}"), ("added", "mean_added", "{:.1f}"),
                 ("blocklisted", "blocklisted", "{:.1%}")]
USER_COLUMNS = [("CLIP tokens", "clip_mean", "{:.1f}"), ("lift", "lift_mean", "{:.2f}"), ("lift ≥ 2", "lift_ge2", "{:.0%}"),
                ("generic", "generic", "{:.0%}"), ("breadth", "breadth", "{:.2f}"), ("conflict", "conflict", "{:.1%}"),
                ("redundant", "redundant", "{:.1%}"), ("identical", "identical", "{:.1%}"), ("variant Jaccard", "jaccard", "{:.2f}")]


def report_table(report):
    from rich.table import Table

    table = Table(title=f"{report.source}: {report.cases} prompts × {report.variants} variants, seed {report.seed}")
    columns = BASIC_COLUMNS + (USER_COLUMNS if any(row.user for row in report.rows) else [])
    table.add_column("expander")
    for title, _, _ in columns:
        table.add_column(title, justify="right")
    for row in report.rows:
        values = row.to_dict()
        missing = [values.get(key) is None or values[key] != values[key] for _, key, _ in columns]  # None or NaN
        table.add_row(row.expander, *("-" if gone else fmt.format(values[key]) for gone, (_, key, fmt) in zip(missing, columns)))
    return table
