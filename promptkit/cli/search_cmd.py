"""`promptkit search`: the prompts in an index most similar to a query."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from . import options as o
from .common import NO_INDEX, cli_errors, stdout_console


def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="What to look for, e.g. 'a castle in the clouds'.")],
    k: o.Count = 10,
    index: Annotated[str | None, typer.Option("--index", "-i", metavar="NAME", show_default="the most recently built", help="Index to search.")] = None,
    include_nsfw: Annotated[bool, typer.Option("--include-nsfw", help="Also show prompts flagged NSFW (indexes built with --keep-nsfw).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line (prompt, score, ...).")] = False,
    no_rerank: Annotated[bool, typer.Option("--no-rerank", help="Static indexes: order by the static vectors alone, without re-scoring the top 20 with MiniLM (faster, further from MiniLM).")] = False,
) -> None:
    """Search an index for similar prompts (cosine over sentence embeddings; exact up to 50,000 prompts, HNSW past that)."""
    with cli_errors():
        from ..retrieval.index import search as run_search
        from ..retrieval.index import validate_k, validate_query

        validate_query(query)
        validate_k(k)
        if index is None:
            from ..core.errors import SearchIndexError
            from ..retrieval.store import most_recent_index

            if most_recent_index() is None:
                raise SearchIndexError(NO_INDEX)
        hits = run_search(query, k, index=index, include_nsfw=include_nsfw, rerank=not no_rerank)
        if as_json:
            for hit in hits:
                typer.echo(json.dumps(hit.to_dict(), ensure_ascii=False))
            return
        from ..preview import search_table

        stdout_console(min_width=120).print(search_table(hits))
