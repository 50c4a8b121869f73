"""`promptkit eval`: text metrics for expanders over a file of short prompts, beside two baselines."""

from __future__ import annotations

import json

import typer

from ..expansion.expander import ExpandSettings
from .common import cli_errors, stderr_console, stdout_console

_DEFAULTS = ExpandSettings()


def evaluate(
    source: str = typer.Argument(..., help="Short prompts: a txt file (one a line) or a pairs file with short and long prompts."),
    model: list[str] | None = typer.Option(None, "--model", "-m", help="Expander model(s) to evaluate (repeatable; default: embedded)."),
    baseline_data: list[str] | None = typer.Option(None, "--baseline-data", help="Training prompts for the two baselines (repeatable)."),
    heldout_percent: float | None = typer.Option(None, "--heldout-percent", help="Use only rows in this held-out hash bucket (the one `train --val-percent` kept out)."),
    limit: int | None = typer.Option(None, "--limit", help="Evaluate at most this many prompts."),
    n: int = typer.Option(4, "--n", "-n", help="Variants per prompt (distinct-2 is measured across them)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed for every expansion call."),
    temperature: float = typer.Option(_DEFAULTS.temperature, "--temperature", "-t"),
    top_k: int = typer.Option(_DEFAULTS.top_k, "--top-k"),
    top_p: float = typer.Option(_DEFAULTS.top_p, "--top-p"),
    modifiers: int = typer.Option(_DEFAULTS.min_modifiers, "--modifiers", help="Fewest modifiers each variant keeps after reranking (0: evaluate the raw model output only)."),
    rerank_temperature: float = typer.Option(_DEFAULTS.rerank_temperature, "--rerank-temperature"),
    suggest: bool = typer.Option(False, "--suggest", help="Also evaluate each model with retrieval-augmented expansion (expand --suggest)."),
    suggest_k: int = typer.Option(3, "--suggest-k", help="Suggestions steering each expansion (with --suggest)."),
    index: str | None = typer.Option(None, "--index", "-i", help="Index for --suggest (build it with --exclude-heldout; default: the most recent, else the lexicon)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """Measure expanders: prompt kept, CLIP budget, added modifiers, repeats, diversity, blocklist, precision/recall."""
    with cli_errors():
        from ..evaluation.expansion import evaluate as run_evaluation

        settings = ExpandSettings(
            n=n, temperature=temperature, top_k=top_k, top_p=top_p, min_modifiers=modifiers, rerank_temperature=rerank_temperature,
        )
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=stderr_console()) as bar:
            tasks: dict[str, int] = {}

            def progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done)

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
