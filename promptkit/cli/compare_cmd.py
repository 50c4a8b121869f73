"""`promptkit compare`: the short prompt and its expansions rendered with the same seed(s), as a grid."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from . import render_options as opt
from .common import cli_errors, stdout_console


def compare(
    prompt: str = typer.Argument(..., help="The short prompt to expand and compare."),
    n: int = typer.Option(3, "--n", "-n", help="Expansions to render beside the short prompt."),
    seed: int | None = typer.Option(None, "--seed", "-s", help="Seed for the expansion and the images. Drawn and shown if omitted."),
    seeds: str | None = typer.Option(None, "--seeds", help="Several image seeds, one grid row each, e.g. 1,2,3."),
    expand_model: str | None = typer.Option(None, "--expand-model", help="Prompt model for the expansions: 'embedded' (default), a folder or a hub id."),
    model: str | None = opt.MODEL,
    steps: int = opt.STEPS,
    guidance: float = opt.GUIDANCE,
    width: int | None = opt.WIDTH,
    height: int | None = opt.HEIGHT,
    negative: str = opt.NEGATIVE,
    scheduler: str = opt.SCHEDULER,
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for the grid, images and summary (default: out/compare-PROMPT-seedN)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Images per pipeline call (default: all in one call)."),
    device: str | None = opt.DEVICE,
    dtype: str | None = opt.DTYPE,
    offload: bool = opt.OFFLOAD,
    vae_slicing: bool = opt.VAE_SLICING,
    vae_tiling: bool = opt.VAE_TILING,
    config: str | None = opt.CONFIG,
    as_json: bool = opt.JSON,
    no_preview: bool = opt.NO_PREVIEW,
) -> None:
    """Expand a prompt, render it and its expansions with the same seeds, and write a labelled grid."""
    with cli_errors():
        from ..core.files import ensure_output_dir, slugify
        from ..expansion.expander import ExpandSettings, resolve_seed, validate_prompt
        from ..rendering.comparison import compare as run_compare

        expand_settings = ExpandSettings(n=n)
        validate_prompt(prompt, expand_settings.clip_budget)
        settings = opt.settings_from_options(steps, guidance, width, height, negative, scheduler)
        seed_list = opt.parse_seeds(seeds) if seeds is not None else None
        seed = resolve_seed(seed) if seed is not None or seed_list is None else None
        first_seed = seed if seed is not None else seed_list[0]
        folder = ensure_output_dir(out or opt.default_out() / f"compare-{slugify(prompt)}-seed{first_seed}")
        comparison = run_compare(
            prompt, n=n, seed=seed, seeds=seed_list, expand_model=expand_model, model=model, steps=settings.steps,
            guidance=settings.guidance, width=settings.width, height=settings.height, negative=settings.negative,
            scheduler=settings.scheduler, batch_size=batch_size, expand_settings=expand_settings,
            **opt.backend_options(device, dtype, offload, vae_slicing, vae_tiling, config),
        )
        saved = comparison.save(folder)
        if as_json:
            data = saved.to_dict()
            data.update(prompt=comparison.prompt, seeds=comparison.seeds, expansions=[e.to_dict() for e in comparison.expansions],
                        random_weights=bool(comparison.backend.get("random_weights")))
            typer.echo(json.dumps(data, ensure_ascii=False))
            return
        from ..preview import comparison_table

        console = stdout_console(min_width=120)
        console.print(comparison_table(comparison))
        if not no_preview:
            opt.print_preview(console, comparison.grid)
        if comparison.backend.get("random_weights"):
            console.print("[bold red]Random weights:[/] this is a test pipeline; the images are noise.")
        console.print(f"Wrote [bold]{saved.grid}[/], {len(saved.images)} images and {saved.summary.name} in {saved.folder}")
