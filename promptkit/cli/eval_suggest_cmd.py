"""`promptkit eval-suggest`: precision@k of modifier suggestions on held-out short->long pairs."""

from __future__ import annotations

import json
from typing import Optional

import typer

from .common import cli_errors, stderr_console, stdout_console


def eval_suggest(
    source: str = typer.Argument(..., help="A pairs file (short + long prompt), e.g. podvodka pairs.jsonl."),
    index: Optional[str] = typer.Option(None, "--index", "-i", help="Index to suggest from (build it with --exclude-heldout; default: the most recent)."),
    heldout_percent: Optional[float] = typer.Option(10.0, "--heldout-percent", help="Evaluate only this held-out hash bucket (the one the index and lexicon left out)."),
    k: int = typer.Option(10, "-k", "--k", help="Suggestions scored per prompt."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Evaluate at most this many pairs."),
    discount: Optional[float] = typer.Option(None, "--discount", help="Popularity discount exponent in [0, 1] (default: the suggest default)."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON lines."),
) -> None:
    """Suggestions vs the "most popular modifiers" baseline, against the real long prompts' modifiers."""
    with cli_errors():
        from ..evaluation import evaluate_suggestions, load_cases, popular_modifiers
        from ..index import get_index, most_recent_index, validate_k
        from ..lexicon import get_lexicon
        from ..ranker import get_ranker
        from ..suggestions import SuggestSettings, Suggester, ranker_method

        validate_k(k)
        cases = load_cases(source, heldout_percent, limit)
        loaded = get_index(index or most_recent_index())
        lexicon = get_lexicon()
        settings = SuggestSettings() if discount is None else SuggestSettings(discount=discount)
        ranker = get_ranker()
        everything, both, index_only = Suggester(loaded, lexicon, settings, ranker), Suggester(loaded, lexicon, settings), Suggester(loaded, None, settings)
        fresh_install, lexicon_only = Suggester(None, lexicon, settings, ranker), Suggester(None, lexicon, settings)
        vectors: dict[str, object] = {}

        def vector(prompt: str):  # one query embedding per prompt, shared by every method
            if prompt not in vectors:
                vectors.clear()
                vectors[prompt] = loaded.embed_query(prompt)
            return vectors[prompt]

        def run(suggester):
            return lambda prompt, kk: [s.modifier for s in suggester.suggest(prompt, kk, vector=vector(prompt))]

        methods = {f"suggest (default): index {loaded.name} + lexicon + ranker": run(everything),
                   f"suggest: index {loaded.name} + lexicon": run(both), f"suggest: index {loaded.name}": run(index_only)}
        methods["suggest: lexicon + ranker (no index: a fresh install)"] = run(fresh_install)
        methods["suggest: lexicon only"] = run(lexicon_only)
        methods["suggest: ranker only"] = ranker_method(ranker)
        methods[f"baseline: popular in {loaded.name}"] = popular_modifiers(loaded.vocab)
        order = sorted(range(len(lexicon.modifiers)), key=lambda i: -lexicon.popularity[i])
        methods["baseline: popular in lexicon"] = popular_modifiers([lexicon.modifiers[i] for i in order])
        by_rate = sorted(range(len(ranker.modifiers)), key=lambda i: -ranker.rates[i])
        methods["baseline: popular in the ranker's training pairs"] = popular_modifiers([ranker.modifiers[i] for i in by_rate])
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
