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
    min_modifiers: o.MinModifiers = _DEFAULTS.min_modifiers,
    old_modifiers: o.OldModifiers = None,
    rerank_temperature: o.RerankTemperature = _DEFAULTS.rerank_temperature,
    suggest: Annotated[bool, typer.Option("--suggest", help="Also evaluate each model with retrieval-augmented expansion (expand --suggest).")] = False,
    suggest_k: o.SuggestK = 3,
    index: o.IndexName = None,
    as_json: o.Json = False,
) -> None:
    """Measure expanders: prompt kept, CLIP budget, added modifiers, repeats, diversity, blocklist, precision/recall."""
    with cli_errors():
        from ..evaluation.expansion import evaluate as run_evaluation

        settings = ExpandSettings(n=n, temperature=temperature, top_k=top_k, top_p=top_p,
                                  min_modifiers=o.min_modifiers(min_modifiers, old_modifiers), rerank_temperature=rerank_temperature)
        with phase_progress() as progress:
            report = run_evaluation(
                source, model or [None], settings=settings, seed=seed, baseline_data=baseline_data or (),
                heldout_percent=heldout_percent, limit=limit, suggest_index=index, suggest_k=suggest_k,
                with_suggest=suggest, progress=progress,
            )
        if as_json:
            typer.echo(json.dumps(report.to_dict()))
        else:
            stdout_console(min_width=140).print(report_table(report))


def report_table(report):
    from rich.table import Table

    table = Table(title=f"{report.source}: {report.cases} prompts × {report.variants} variants, seed {report.seed}")
    columns = [
        ("expander", None), ("keep prompt", "keep_prompt"), ("≤77 CLIP", "within_budget"), ("added", "mean_added"),
        ("repeat", "repeat_modifier"), ("distinct-2", "distinct_2"), ("blocklisted", "blocklisted"),
        ("precision", "precision"), ("recall", "recall"),
    ]
    for title, _ in columns:
        table.add_column(title, justify="left" if title == "expander" else "right")
    for row in report.rows:
        cells = [row.expander]
        for _title, key in columns[1:]:
            value = getattr(row, key)
            if value is None:
                cells.append("-")
            elif key == "mean_added":
                cells.append(f"{value:.2f}")
            elif key in ("distinct_2", "precision", "recall"):
                cells.append(f"{value:.3f}")
            else:
                cells.append(f"{value:.1%}")
        table.add_row(*cells)
    return table
