"""`promptkit render`: render prompts to PNGs with reproducible metadata; splits across processes
under `accelerate launch`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from . import render_options as opt
from .common import cli_errors, read_prompt_lines, stdout_console

PREVIEW_LIMIT = 8  # images drawn in the terminal; the rest are only listed


def render(
    prompts: list[str] | None = typer.Argument(None, help="Prompts to render (or use --file, or pipe them in)."),
    file: Path | None = typer.Option(None, "--file", "-f", help="Read prompts from a file, one a line ('-' for stdin)."),
    model: str | None = opt.MODEL,
    seed: int | None = typer.Option(None, "--seed", "-s", help="Seed for every prompt; the same seed and settings give the same pixels. Drawn and shown if omitted."),
    steps: int = opt.STEPS,
    guidance: float = opt.GUIDANCE,
    width: int | None = opt.WIDTH,
    height: int | None = opt.HEIGHT,
    negative: str = opt.NEGATIVE,
    scheduler: str = opt.SCHEDULER,
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for the PNGs (created if needed)."),
    batch_size: int = typer.Option(4, "--batch-size", help="Prompts per pipeline call."),
    device: str | None = opt.DEVICE,
    dtype: str | None = opt.DTYPE,
    offload: bool = opt.OFFLOAD,
    vae_slicing: bool = opt.VAE_SLICING,
    vae_tiling: bool = opt.VAE_TILING,
    config: str | None = opt.CONFIG,
    as_json: bool = opt.JSON,
    no_preview: bool = opt.NO_PREVIEW,
) -> None:
    """Render prompts with Stable Diffusion; each PNG carries its prompt, seed and settings."""
    with cli_errors():
        from ..core.files import ensure_output_dir
        from ..expansion.expander import resolve_seed, validate_prompt
        from ..rendering.renderer import RenderJob, batches, load_render_backend, render_batch, resolve_settings

        texts = [validate_prompt(t, clip_budget=None) for t in read_prompt_lines(file, prompts)]
        settings = opt.settings_from_options(steps, guidance, width, height, negative, scheduler)
        seed = resolve_seed(seed)
        folder = ensure_output_dir(out)
        all_batches = batches([RenderJob(prompt=t, seed=seed, index=i) for i, t in enumerate(texts)], batch_size)
        state = opt.distributed_state()
        my_batches = all_batches
        if state is not None:
            # Whole batches go to each process, so an image's batch (and pixels) do not depend on the process count.
            with state.split_between_processes(all_batches) as share:
                my_batches = list(share)
            device = device or str(state.device)
        backend = load_render_backend("diffusers", model, **opt.backend_options(device, dtype, offload, vae_slicing, vae_tiling, config))
        settings = resolve_settings(backend, settings)
        records = []
        process = state.process_index if state is not None else 0
        for batch in my_batches:
            for image in render_batch(backend, batch, settings):
                path = image.save(folder / image.default_file_name())
                records.append({"path": str(path), "index": image.index, "process": process, **image.to_dict()})
        if state is not None:
            from accelerate.utils import gather_object

            records = gather_object(records)
            if not state.is_main_process:
                return
        records.sort(key=lambda r: r["index"])
        _report(records, as_json, no_preview, backend.random_weights)


def _report(records: list[dict], as_json: bool, no_preview: bool, random_weights: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"files": [r["path"] for r in records], "images": records, "random_weights": random_weights}, ensure_ascii=False))
        return
    from ..preview import rendered_table

    console = stdout_console()
    first = records[0]
    title = f"seed {first['seed']} · {first['model']} · {first['scheduler']} · {first['steps']} steps · {first['width']}x{first['height']}"
    console.print(rendered_table(records, title=title))
    if random_weights:
        console.print("[bold red]Random weights:[/] this is a test pipeline; the images are noise.")
    if not no_preview:
        from PIL import Image

        from ..rendering.grid import Caption, make_grid

        shown = records[:PREVIEW_LIMIT]
        images = [[Image.open(r["path"]).convert("RGB") for r in shown]]
        grid = make_grid(images, [Caption(f"#{i + 1}", "") for i in range(len(shown))])
        opt.print_preview(console, grid)
