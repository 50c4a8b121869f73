"""`promptkit render`: render prompts to PNGs with reproducible metadata (split across processes
under `accelerate launch` by the library)."""

from __future__ import annotations

from pathlib import Path

from . import options as o
from .common import cli_errors, echo_json, random_weights_text, read_prompt_lines, stdout_console
from .render_options import RenderOptions, with_render_options

PREVIEW_LIMIT = 8  # images drawn in the terminal; the rest are only listed


@with_render_options
def render(
    prompts: o.Prompts = None,
    file: o.PromptFile = None,
    seed: o.Seed = None,
    out: o.Out = Path("out"),
    batch_size: o.BatchSize = 4,
    rendering: RenderOptions = RenderOptions(),
    as_json: o.Json = False,
    no_preview: o.NoPreview = False,
) -> None:
    """Render prompts with Stable Diffusion; each PNG carries its prompt, seed and settings."""
    with cli_errors():
        from ..rendering.renderer import render as run_render

        texts = read_prompt_lines(file, prompts)
        result = run_render(texts, seed, settings=rendering.settings(), model=rendering.model, batch_size=batch_size, out=out, **rendering.backend())
        if result.main_process:
            _report(result, as_json, no_preview)


def _report(result, as_json: bool, no_preview: bool) -> None:
    records = [{"path": str(path), "index": image.index, "process": image.process, **image.to_dict()}
               for path, image in zip(result.files, result.images)]
    random_weights = bool(result.backend.get("random_weights"))
    if as_json:
        echo_json({"files": [r["path"] for r in records], "images": records, "random_weights": random_weights})
        return
    from ..preview import fitted_screen, rendered_table

    console = stdout_console()
    first = records[0]
    title = f"seed {first['seed']} · {first['model']} · {first['scheduler']} · {first['steps']} steps · {first['width']}x{first['height']}"
    below = [rendered_table(records, title=title), *([random_weights_text()] if random_weights else [])]
    grid = None
    if not no_preview:
        from ..rendering.grid import Caption, make_grid

        shown = result.images[:PREVIEW_LIMIT]
        grid = make_grid([[image.image for image in shown]], [Caption(f"#{i + 1}", "") for i in range(len(shown))])
    console.print(fitted_screen(console, grid, below))  # the preview above the table, scaled to the rows left
