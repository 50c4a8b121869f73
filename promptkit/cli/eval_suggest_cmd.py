"""`promptkit eval-suggest`: precision@k of modifier suggestions on held-out short->long pairs."""

from __future__ import annotations

import json

import typer

from .common import cli_errors, stderr_console, stdout_console


def eval_suggest(
    source: str = typer.Argument(..., help="A pairs file (short + long prompt), e.g. podvodka pairs.jsonl."),
    index: str | None = typer.Option(None, "--index", "-i", help="Index to suggest from (build it with --exclude-heldout; default: the most recent)."),
    heldout_percent: float | None = typer.Option(10.0, "--heldout-percent", help="Evaluate only this held-out hash bucket (the one the index and lexicon left out)."),
    k: int = typer.Option(10, "-k", "--k", help="Suggestions scored per prompt."),
    limit: int | None = typer.Option(None, "--limit", help="Evaluate at most this many pairs."),
    discount: float | None = typer.Option(None, "--discount", help="Popularity discount exponent in [0, 1] (default: the suggest default)."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON lines."),
) -> None:
    """Suggestions vs the "most popular modifiers" baseline, against the real long prompts' modifiers."""
    with cli_errors():
        from ..evaluation.expansion import load_cases
        from ..evaluation.suggestions import evaluate_suggestions, suggestion_methods
        from ..modifiers.lexicon import get_lexicon
        from ..modifiers.ranker import get_ranker
        from ..retrieval.index import get_index, validate_k
        from ..retrieval.suggest import SuggestSettings

        validate_k(k)
        cases = load_cases(source, heldout_percent, limit)
        settings = SuggestSettings() if discount is None else SuggestSettings(discount=discount)
        methods = suggestion_methods(get_index(index), get_lexicon(), get_ranker(), settings)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=stderr_console()) as bar:
            task = bar.add_task("eval", total=len(cases))
            rows = evaluate_suggestions(cases, methods, k, progress=lambda d, t: bar.update(task, completed=d))
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row.to_dict()))
            return
        from rich.table import Table

        table = Table(title=f"{source}: {rows[0].cases} held-out pairs, top {k}, discount {settings.discount}")
        for col in ("method", f"precision@{k}", f"recall@{k}", "≥1 hit"):
            table.add_column(col, justify="left" if col == "method" else "right")
        for row in rows:
            table.add_row(row.method, f"{row.precision:.3f}", f"{row.recall:.3f}", f"{row.hit_rate:.1%}")
        stdout_console(min_width=110).print(table)
