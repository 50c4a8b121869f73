"""`promptkit compare`: the short prompt and its expansions rendered with the same seed(s), as a grid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, echo_json, random_weights_text, stdout_console
from .render_options import RenderOptions, with_render_options


@with_render_options
def compare(
    prompt: Annotated[str, typer.Argument(metavar="PROMPT", help="The short prompt to expand and compare.")],
    n: o.Variants = 3,
    seed: o.Seed = None,
    seeds: Annotated[str | None, typer.Option("--seeds", metavar="SEEDS", show_default="--seed alone",
                                              help="Several image seeds, one grid row each, e.g. 1,2,3.")] = None,
    expand_model: Annotated[str | None, typer.Option("--expand-model", metavar="MODEL", show_default="embedded",
                                                     help="Prompt model for the expansions: 'embedded', a folder or a hub id.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FOLDER", show_default="out/compare-PROMPT-seedN",
                                             help="Folder for the grid, images and summary.")] = None,
    batch_size: o.BatchSize = None,
    rendering: RenderOptions = RenderOptions(),
    as_json: o.Json = False,
    no_preview: o.NoPreview = False,
) -> None:
    """Expand a prompt, render it and its expansions with the same seeds, and write a labelled grid."""
    with cli_errors():
        from ..core.files import output_dir
        from ..rendering.comparison import compare as run_compare

        settings = rendering.settings()
        seed_list = o.parse_seeds(seeds)
        seed, folder = _seed_and_folder(out, prompt, seed, seed_list)
        with output_dir(folder) as folder:  # removed again if the render fails before writing anything
            comparison = run_compare(prompt, n=n, seed=seed, seeds=seed_list, settings=settings, expand_model=expand_model,
                                     model=rendering.model, batch_size=batch_size, **rendering.backend())
            saved = comparison.save(folder)
        _report(comparison, saved, as_json, no_preview)


def _seed_and_folder(out: Path | None, prompt: str, seed: int | None, seeds: list[int] | None) -> tuple[int | None, Path]:
    """The seed (drawn here when neither --seed nor --seeds is given, so the folder name shows it)
    and the output folder."""
    from ..core.seeds import resolve_seed
    from ..rendering.comparison import default_folder_name

    if seed is not None or seeds is None:
        seed = resolve_seed(seed)
    return seed, out or Path("out") / default_folder_name(prompt, seed if seed is not None else seeds[0])


def _report(comparison, saved, as_json: bool, no_preview: bool) -> None:
    if as_json:
        data = saved.to_dict()
        data.update(prompt=comparison.prompt, seeds=comparison.seeds, expansions=[e.to_dict() for e in comparison.expansions],
                    random_weights=bool(comparison.backend.get("random_weights")))
        echo_json(data)
        return
    from rich.text import Text

    from ..preview import comparison_table, fitted_screen

    console = stdout_console(min_width=120)
    below = [comparison_table(comparison)]
    if comparison.backend.get("random_weights"):
        below.append(random_weights_text())
    below.append(Text.assemble("Wrote ", (str(saved.grid), "bold"), f", {len(saved.images)} images and {saved.summary.name} in {saved.folder}"))
    # The grid is drawn above the table, scaled to the rows the table and notes leave free.
    console.print(fitted_screen(console, None if no_preview else comparison.grid, below))
