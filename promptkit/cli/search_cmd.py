"""`promptkit search`: the prompts in an index most similar to a query."""

from __future__ import annotations

import json

import typer

from .common import cli_errors, stdout_console


def search(
    query: str = typer.Argument(..., help="What to look for, e.g. 'a castle in the clouds'."),
    k: int = typer.Option(10, "-k", "--k", help="How many prompts to show."),
    index: str | None = typer.Option(None, "--index", "-i", help="Index name (default: the most recently built)."),
    include_nsfw: bool = typer.Option(False, "--include-nsfw", help="Also show prompts flagged NSFW (indexes built with --keep-nsfw)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object a line (prompt, score, ...)."),
) -> None:
    """Search an index for similar prompts (exact cosine search over sentence embeddings)."""
    with cli_errors():
        from ..retrieval.index import search as run_search
        from ..retrieval.index import validate_k, validate_query

        validate_query(query)
        validate_k(k)
        hits = run_search(query, k, index=index, include_nsfw=include_nsfw)
        if as_json:
            for hit in hits:
                typer.echo(json.dumps(hit.to_dict(), ensure_ascii=False))
            return
        from ..preview import search_table

        stdout_console(min_width=120).print(search_table(hits))
