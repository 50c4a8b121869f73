"""`promptkit reproduce`: render an image again from the metadata in its PNG."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from . import render_options as opt
from .common import cli_errors, stdout_console


def reproduce(
    image: Path = typer.Argument(..., help="A PNG written by promptkit render or compare (or an A1111-style PNG)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Use this model instead of the one recorded in the image (e.g. a local copy)."),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for the reproduced PNG."),
    device: str | None = opt.DEVICE,
    dtype: str | None = opt.DTYPE,
    config: str | None = opt.CONFIG,
    as_json: bool = opt.JSON,
    no_preview: bool = opt.NO_PREVIEW,
) -> None:
    """Render IMAGE again from its prompt, seed and settings, and report whether the pixels match."""
    with cli_errors():
        from ..core.files import ensure_output_dir, slugify
        from ..rendering.metadata import read_png
        from ..rendering.reproduction import reproduce as run_reproduce

        read_png(image)  # a missing, unreadable or metadata-free image fails before any model loads
        folder = ensure_output_dir(out)
        result = run_reproduce(image, model=model, **opt.backend_options(device, dtype, False, False, False, config))
        path = result.rendered.save(folder / f"{slugify(image.stem)}-reproduced.png")
        if as_json:
            typer.echo(json.dumps({"files": [str(path)], "file": str(path), **result.to_dict()}, ensure_ascii=False))
            return
        console = stdout_console()
        meta = result.metadata
        console.print(f"[bold]{meta.prompt}[/]  seed {meta.seed} · {meta.model} · {meta.scheduler} · {meta.steps} steps · {meta.width}x{meta.height}", markup=True, highlight=False)
        if result.identical:
            console.print("[green]Identical pixels[/] to the original.")
        else:
            console.print(f"[yellow]Differs[/] from the original by up to {result.max_difference} levels "
                          "(another device, dtype or library version changes the arithmetic).")
        if not no_preview:
            opt.print_preview(console, result.rendered.image, max_width=64)
        console.print(f"Wrote [bold]{path}[/]")
