"""`promptkit render`: render prompts to PNGs with reproducible metadata (split across processes
under `accelerate launch` by the library)."""

from __future__ import annotations

from pathlib import Path

from ..rendering.settings import DEFAULT_GUIDANCE, DEFAULT_SCHEDULER, DEFAULT_STEPS
from . import options as o
from .common import cli_errors, echo_json, print_preview, random_weights_note, read_prompt_lines, stdout_console

PREVIEW_LIMIT = 8  # images drawn in the terminal; the rest are only listed


def render(
    prompts: o.Prompts = None,
    file: o.PromptFile = None,
    model: o.SdModel = None,
    seed: o.Seed = None,
    steps: o.Steps = DEFAULT_STEPS,
    guidance: o.Guidance = DEFAULT_GUIDANCE,
    width: o.Width = None,
    height: o.Height = None,
    negative: o.Negative = "",
    scheduler: o.Scheduler = DEFAULT_SCHEDULER,
    out: o.Out = Path("out"),
    batch_size: o.BatchSize = 4,
    device: o.Device = None,
    dtype: o.Dtype = None,
    offload: o.Offload = False,
    vae_slicing: o.VaeSlicing = False,
    vae_tiling: o.VaeTiling = False,
    config: o.Config = None,
    as_json: o.Json = False,
    no_preview: o.NoPreview = False,
) -> None:
    """Render prompts with Stable Diffusion; each PNG carries its prompt, seed and settings."""
    with cli_errors():
        from ..rendering.renderer import render as run_render
        from ..rendering.settings import RenderSettings

        texts = read_prompt_lines(file, prompts)
        settings = RenderSettings(steps=steps, guidance=guidance, width=width, height=height, negative=negative, scheduler=scheduler)
        result = run_render(texts, seed, settings=settings, model=model, batch_size=batch_size, out=out,
                            **o.backend_options(device, dtype, offload, vae_slicing, vae_tiling, config))
        if result.main_process:
            _report(result, as_json, no_preview)


def _report(result, as_json: bool, no_preview: bool) -> None:
    records = [{"path": str(path), "index": image.index, "process": image.process, **image.to_dict()}
               for path, image in zip(result.files, result.images)]
    random_weights = bool(result.backend.get("random_weights"))
    if as_json:
        echo_json({"files": [r["path"] for r in records], "images": records, "random_weights": random_weights})
        return
    from ..preview import rendered_table

    console = stdout_console()
    first = records[0]
    title = f"seed {first['seed']} · {first['model']} · {first['scheduler']} · {first['steps']} steps · {first['width']}x{first['height']}"
    console.print(rendered_table(records, title=title))
    random_weights_note(console, random_weights)
    if not no_preview:
        from ..rendering.grid import Caption, make_grid

        shown = result.images[:PREVIEW_LIMIT]
        grid = make_grid([[image.image for image in shown]], [Caption(f"#{i + 1}", "") for i in range(len(shown))])
        print_preview(console, grid)
