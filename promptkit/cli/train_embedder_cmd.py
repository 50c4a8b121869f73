"""`promptkit train-embedder`: distil the static embedder that new indexes use (data/static-minilm)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, stderr_console, stdout_console


def train_embedder(
    data: Annotated[Path, typer.Argument(metavar="DATA_DIR", help="Folder holding the public prompt data (podvodka-pairs/, diffusiondb-imagereward/, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FOLDER", help="Folder to write the embedder to (replaced only when training finishes).")],
    dims: Annotated[int, typer.Option("--dims", help="Dimensions kept (MiniLM's top principal axes; 384 keeps them all).")] = 256,
    epochs: Annotated[int, typer.Option("--epochs", help="Passes over the texts while fitting the word-piece table.")] = 12,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even when it exists and is not a promptkit static embedder (everything in it is lost).")] = False,
    as_json: o.Json = False,
) -> None:
    """Build the static embedder: MiniLM's word pieces distilled, then fitted so prompt vectors point where MiniLM's do."""
    with cli_errors():
        from ..training.embedder import EmbedderTraining, build_static_embedder

        settings = EmbedderTraining(dims=dims, epochs=epochs)
        with stderr_console().status("building the static embedder (embedding the corpus with MiniLM)") as status:
            meta = build_static_embedder(data, out, settings, say=lambda message: status.update(message), force=force)
        if as_json:
            typer.echo(json.dumps({"out": str(out), **meta}))
            return
        stdout_console().print(f"wrote {out}: {meta['dims']} dimensions, fitted on {meta['texts']:,} texts")
