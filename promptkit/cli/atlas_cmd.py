"""`promptkit atlas`: an index's topics as a zoomable map in one self-contained HTML page, and a picture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, echo_json, print_preview, stdout_console
from .topics_cmd import TopicCount


def atlas(
    index: Annotated[str | None, typer.Option("--index", "-i", metavar="NAME", show_default="the most recently built", help="Index to map.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="The page to write; the picture goes beside it (.png).")] = Path("atlas.html"),
    k: TopicCount = None,
    max_points: Annotated[int, typer.Option("--max-points", metavar="N", help="Draw at most this many prompts (a seeded sample of bigger indexes).")] = 50_000,
    force: Annotated[bool, typer.Option("--force", help="Replace --out (and its .png) even when they are not an earlier atlas.")] = False,
    no_preview: o.NoPreview = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Map an index's prompts by topic: a zoomable, searchable page that works offline (open it in a browser), and a PNG."""
    with cli_errors():
        from ..topicmap.page import atlas as write_atlas

        result = write_atlas(index, out, k=k, max_points=max_points, force=force)
        if as_json:
            echo_json({"html": str(result.html), "png": str(result.png), "topics": result.topics, "points": result.points, "prompts": result.prompts})
            return
        console = stdout_console()
        if not no_preview:
            from PIL import Image

            with Image.open(result.png) as image:
                print_preview(console, image.convert("RGB"), max_width=90)
        drawn = f"{result.points:,} prompts drawn" + (f" (a seeded sample of {result.prompts:,})" if result.sampled else "")
        console.print(f"{result.topics} topics, {drawn}")
        console.print(f"wrote {result.html} and {result.png}; open the page in a browser: {result.html.resolve().as_uri()}")
