"""`promptkit eval-suggest`: precision@k of modifier suggestions on held-out short->long pairs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, stderr_console, stdout_console


def eval_suggest(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="A pairs file (short + long prompt), e.g. podvodka pairs.jsonl.")],
    index: o.IndexName = None,
    heldout_percent: o.HeldoutPercent = 10.0,
    k: o.Count = 10,
    limit: Annotated[int | None, typer.Option("--limit", show_default="all", help="Evaluate at most this many pairs.")] = None,
    discount: Annotated[float | None, typer.Option("--discount", show_default="the suggest default", help="Popularity discount exponent in [0, 1].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON lines.")] = False,
) -> None:
    """Suggestions vs popularity baselines: precision against the real long prompts, generic share, conflicts, breadth."""
    with cli_errors():
        from ..evaluation.expansion import load_cases
        from ..evaluation.suggestions import evaluate_suggestions, suggestion_methods
        from ..modifiers.lexicon import get_lexicon
        from ..modifiers.ranker import get_ranker
        from ..modifiers.relevance import get_relevance
        from ..retrieval.index import get_index, validate_k
        from ..retrieval.suggest import SuggestSettings

        validate_k(k)
        cases = load_cases(source, heldout_percent, limit)
        settings = SuggestSettings() if discount is None else SuggestSettings(discount=discount)
        relevance = get_relevance()
        methods = suggestion_methods(get_index(index), get_lexicon(), get_ranker(), relevance, settings)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=stderr_console()) as bar:
            task = bar.add_task("eval", total=len(cases))
            rows = evaluate_suggestions(cases, methods, k, progress=lambda d, t: bar.update(task, completed=d), generic=relevance.generic_set)
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row.to_dict()))
            return
        stdout_console(min_width=130).print(_table(rows, f"{source}: {rows[0].cases} held-out pairs, top {k}, discount {settings.discount}"))


def _table(rows, title: str):
    from rich.table import Table

    table = Table(title=title)
    k = rows[0].k
    for col in ("method", f"precision@{k}", f"recall@{k}", "≥1 hit", "generic", "conflict", "breadth"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for row in rows:
        table.add_row(row.method, f"{row.precision:.3f}", f"{row.recall:.3f}", f"{row.hit_rate:.1%}", f"{row.generic:.0%}",
                      f"{row.conflict:.1%}", f"{row.breadth:.2f}")
    return table
