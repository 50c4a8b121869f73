"""`promptkit reproduce`: render an image again from the metadata in its PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, echo_json, print_preview, stdout_console


def reproduce(
    image: Annotated[Path, typer.Argument(metavar="IMAGE", help="A PNG written by promptkit render or compare (or an A1111-style PNG).")],
    model: Annotated[str | None, typer.Option("--model", "-m", metavar="MODEL", show_default="the one recorded in the image",
                                              help="Use this model instead (e.g. a local copy).")] = None,
    out: o.Out = Path("out"),
    device: o.Device = None,
    dtype: o.Dtype = None,
    config: o.Config = None,
    as_json: o.Json = False,
    no_preview: o.NoPreview = False,
) -> None:
    """Render IMAGE again from its prompt, seed and settings, and report whether the pixels match."""
    with cli_errors():
        from rich.markup import escape

        from ..core.files import output_dir, slugify
        from ..rendering.metadata import read_png
        from ..rendering.reproduction import reproduce as run_reproduce

        read_png(image)  # a missing, unreadable or metadata-free image fails before any model loads
        with output_dir(out) as folder:  # removed again if the render fails
            result = run_reproduce(image, model=model, **o.backend_options(device, dtype, config=config))
            path = result.rendered.save(folder / f"{slugify(image.stem)}-reproduced.png")
        if as_json:
            echo_json({"files": [str(path)], "file": str(path), **result.to_dict()})
            return
        console = stdout_console()
        meta = result.metadata
        console.print(f"[bold]{escape(meta.prompt)}[/]  seed {meta.seed} · {escape(result.model)} · {meta.scheduler} · {meta.steps} steps · {meta.width}x{meta.height}", markup=True, highlight=False)
        if result.identical:
            console.print("[green]Identical pixels[/] to the original.")
        else:
            console.print(f"[yellow]Differs[/] from the original by up to {result.max_difference} levels "
                          "(another device, dtype or library version changes the arithmetic).")
        if not no_preview:
            print_preview(console, result.rendered.image, max_width=64)
        console.print(f"Wrote [bold]{path}[/]")
