"""`promptkit train-relevance`: build the relevance model that expand and suggest choose modifiers with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, stderr_console, stdout_console


def train_relevance(
    data: Annotated[Path, typer.Argument(metavar="DATA_DIR", help="Folder holding the public prompt data (podvodka-pairs/, diffusiondb-imagereward/, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FOLDER", help="Folder to write the model to (replaced only when the build finishes).")],
    force: Annotated[bool, typer.Option("--force", help="Replace --out even when it exists and is not a promptkit relevance model (everything in it is lost).")] = False,
    as_json: o.Json = False,
) -> None:
    """Build the relevance model: which modifiers prompts about similar subjects use more than prompts in general."""
    with cli_errors():
        from ..training.relevance import build_relevance

        err = stderr_console()
        with err.status("building the relevance model (embedding the corpus subjects)") as status:
            meta = build_relevance(data, out, progress=lambda message: status.update(message), force=force)
        if as_json:
            typer.echo(json.dumps({"out": str(out), **meta}))
            return
        stdout_console().print(f"wrote {out}: {meta['modifiers']:,} modifiers from {meta['prompts']:,} prompts")
