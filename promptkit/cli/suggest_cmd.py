"""`promptkit suggest`: modifiers ranked for a prompt, grouped by category."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, stdout_console


def suggest(
    prompt: Annotated[str, typer.Argument(metavar="PROMPT", help="Your prompt, e.g. 'a castle in the clouds'.")],
    k: o.Count = 12,
    index: o.IndexName = None,
    lexicon_only: Annotated[bool, typer.Option("--lexicon-only", help="Use only the shipped lexicon, even when an index exists.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line (modifier, category, score, count, source).")] = False,
) -> None:
    """Suggest modifiers that prompts like yours use, discounted by global popularity."""
    with cli_errors():
        from ..core.errors import InputError
        from ..retrieval.index import validate_k
        from ..retrieval.suggest import suggest as run_suggest
        from ..retrieval.suggest import validate_prompt

        validate_prompt(prompt)
        validate_k(k)
        if lexicon_only and index:
            raise InputError("pass --index NAME or --lexicon-only, not both")
        suggestions = run_suggest(prompt, k, index=False if lexicon_only else index)
        if as_json:
            for s in suggestions:
                typer.echo(json.dumps(s.to_dict(), ensure_ascii=False))
            return
        from ..preview import suggestions_table

        stdout_console(min_width=100).print(suggestions_table(suggestions, title=f"modifiers for: {prompt}"))
