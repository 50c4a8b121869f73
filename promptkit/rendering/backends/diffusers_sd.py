"""The Stable Diffusion 2.x backend over diffusers' `StableDiffusionPipeline`.

Loads a hub id (default: the SD 2.1 community mirror), a local diffusers folder, or a single-file
`.safetensors` checkpoint; safetensors only, no remote code. The device is chosen when the backend
loads (CUDA float16 if a GPU is visible, else CPU float32). Every image is seeded with its own CPU
`torch.Generator`, so a (prompt, seed, settings) triple gives the same pixels in any process.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from pathlib import Path

from ...core import config
from ...core.errors import InputError, ModelLoadError, first_line, first_sentence
from ...core.hf import hub_cache_state, hub_offline, not_cached_message, quiet_diffusers
from ..schedulers import SCHEDULERS, check_scheduler, scheduler_names
from ..settings import DEFAULT_SCHEDULER, RenderSettings
from .tiny import is_random_weights

DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16"}
# Config for single-file SD 2.x checkpoints: diffusers' built-in default points at the removed stabilityai repo.
SINGLE_FILE_CONFIG = config.DEFAULT_RENDER_MODEL
CHECKPOINT_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".bin")


@contextlib.contextmanager
def _quiet_numpy_copy_warning():
    """DPM-Solver's `np.array(tensor)` raises numpy 2's `__array__ ... copy keyword` DeprecationWarning
    on every call; it is harmless. Filter exactly that one, nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"__array__ implementation doesn't accept a copy keyword", category=DeprecationWarning)
        yield


def make_scheduler(name: str, base_config):
    """Scheduler `name` built from a model's scheduler config (keeps prediction type and betas)."""
    import diffusers

    choice = SCHEDULERS[check_scheduler(name)]
    with _quiet_numpy_copy_warning():
        return getattr(diffusers, choice.class_name).from_config(base_config, **choice.options)


def resolve_device(device: str | None) -> str:
    import torch

    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"unknown device {device!r}; pass --device cpu, cuda or cuda:N") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} asked for but no CUDA GPU is visible; pass --device cpu")
    if parsed.type not in ("cpu", "cuda", "mps", "xpu"):
        raise InputError(f"unsupported device {device!r}; pass --device cpu or cuda")
    return str(parsed)


def resolve_dtype(dtype: str | None, device: str):
    import torch

    if dtype in (None, "", "auto"):
        return torch.float16 if device.startswith("cuda") else torch.float32
    name = DTYPES.get(str(dtype).lower())
    if name is None:
        raise InputError(f"unknown dtype {dtype!r}; pass --dtype float32, float16 or bfloat16")
    if name == "float16" and device == "cpu":
        raise InputError("float16 is not supported on the CPU; pass --dtype float32 or bfloat16 (or use a GPU)")
    return getattr(torch, name)


def load_pipeline(model: str, dtype, single_file_config: str | None = None):
    """A `StableDiffusionPipeline` from a folder, a .safetensors checkpoint or a hub id, or a one-line ModelLoadError."""
    path = Path(model).expanduser()
    if not path.exists() and not config.looks_like_path(model, CHECKPOINT_SUFFIXES):
        check_hub_model(model)  # before the seconds diffusers takes to import
    quiet_diffusers()
    from diffusers import StableDiffusionPipeline

    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise ModelLoadError(f"model folder '{model}' has no model_index.json; pass a diffusers folder (save_pretrained) or a .safetensors checkpoint")
        try:
            with _quiet_numpy_copy_warning():
                return StableDiffusionPipeline.from_pretrained(path, dtype=dtype, use_safetensors=True, local_files_only=True)
        except Exception as exc:  # missing weights, pickles only, broken config: one line, with the cause
            raise ModelLoadError(f"model folder '{model}' could not be loaded ({first_line(exc)}); pass a diffusers folder with .safetensors weights") from None
    if path.is_file():
        if path.suffix != ".safetensors":
            raise ModelLoadError(f"'{model}' is not a .safetensors checkpoint; promptkit never unpickles .ckpt/.bin files, convert it to safetensors first")
        config_source = single_file_config or SINGLE_FILE_CONFIG
        try:
            with _quiet_numpy_copy_warning():
                return StableDiffusionPipeline.from_single_file(str(path), config=str(config_source), dtype=dtype)
        except Exception as exc:
            raise ModelLoadError(
                f"checkpoint '{model}' could not be loaded with config '{config_source}' ({first_line(exc)}); "
                "pass --config with a local SD 2.x diffusers folder for its component configs"
            ) from None
    if config.looks_like_path(model, CHECKPOINT_SUFFIXES):
        raise ModelLoadError(f"model path '{model}' does not exist; pass an existing diffusers folder, a .safetensors file or a hub id with --model")
    try:
        # A token from HF_TOKEN or a prior `hf auth login` is picked up by huggingface_hub; we never read or print it.
        with _quiet_numpy_copy_warning():
            return StableDiffusionPipeline.from_pretrained(model, dtype=dtype, use_safetensors=True)
    except Exception as exc:
        raise ModelLoadError(hub_error_message(model, exc)) from None


def check_hub_model(model: str) -> None:
    """Offline, a hub id that is not fully cached fails here, in our words, before diffusers is imported."""
    if hub_offline():
        state = hub_cache_state(model)
        if state != "cached":
            raise ModelLoadError(not_cached_message(model, state))


def hub_error_message(model: str, exc: BaseException) -> str:
    """One line for a failed hub load: not cached and unreachable, not found, needs a login, or the cause's first sentence."""
    chain, cause = [], exc
    while cause is not None and len(chain) < 8:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    names = {type(c).__name__ for c in chain}
    text = " ".join(str(c) for c in chain)
    if names & {"GatedRepoError"} or " 401 " in text or " 403 " in text:
        return f"model '{model}' needs a Hugging Face login with access to it; run `hf auth login` (and accept its licence on the model page)"
    if names & {"RepositoryNotFoundError", "RevisionNotFoundError"} or "Repository Not Found" in text:
        return f"model '{model}' is not on the Hugging Face Hub; check the id, or pass a local diffusers folder with --model"
    if names & {"LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectionError", "ConnectError", "Timeout", "TimeoutException"} \
            or "not fully cached" in text or "Cannot reach" in text:
        return not_cached_message(model, hub_cache_state(model))
    return f"could not load model '{model}' from the Hugging Face Hub: {first_sentence(exc)}; pass a local diffusers folder with --model"


class DiffusersBackend:
    """A loaded Stable Diffusion pipeline on one device; `render` batches prompts in one call."""

    name = "diffusers"

    def __init__(self, pipeline, model: str, device: str, random_weights: bool = False, offload: bool = False):
        self.pipeline = pipeline
        self.model = model
        self.device = device
        self.random_weights = random_weights
        self.offload = offload
        self._scheduler_name: str | None = None
        self._base_scheduler_config = pipeline.scheduler.config

    # -- facts ---------------------------------------------------------------------------------

    @property
    def dtype_name(self) -> str:
        return str(self.pipeline.unet.dtype).removeprefix("torch.")

    def schedulers(self) -> list[str]:
        return scheduler_names()

    def native_size(self) -> tuple[int, int]:
        sample = self.pipeline.unet.config.sample_size
        height, width = (sample, sample) if isinstance(sample, int) else tuple(sample)
        factor = self.pipeline.vae_scale_factor
        return int(width * factor), int(height * factor)

    def describe(self) -> dict:
        return {
            "backend": self.name, "model": self.model, "device": self.device, "dtype": self.dtype_name,
            "offload": self.offload, "random_weights": self.random_weights,
            "native_size": list(self.native_size()), "schedulers": self.schedulers(),
            "components": {name: type(c).__name__ for name, c in self.pipeline.components.items() if c is not None},
        }

    # -- rendering -----------------------------------------------------------------------------

    def set_scheduler(self, name: str) -> None:
        if name != self._scheduler_name:
            self.pipeline.scheduler = make_scheduler(name, self._base_scheduler_config)
            self._scheduler_name = name

    def render(self, prompts: Sequence[str], seeds: Sequence[int], settings: RenderSettings) -> list:
        import torch

        if len(prompts) != len(seeds) or not prompts:
            raise InputError(f"render needs one seed per prompt, got {len(prompts)} prompts and {len(seeds)} seeds")
        for prompt in prompts:
            if not isinstance(prompt, str) or not prompt.strip():
                raise InputError("every prompt must be non-empty text; drop empty lines from the prompt file")
        native_width, native_height = self.native_size()
        self.set_scheduler(settings.scheduler)
        # One CPU generator per image: its noise depends on its seed alone, on any device.
        generators = [torch.Generator("cpu").manual_seed(int(seed)) for seed in seeds]
        negative = [settings.negative] * len(prompts) if settings.negative else None
        with _quiet_numpy_copy_warning(), torch.inference_mode():
            output = self.pipeline(
                prompt=list(prompts), negative_prompt=negative, num_inference_steps=settings.steps,
                guidance_scale=float(settings.guidance), width=settings.width or native_width,
                height=settings.height or native_height, generator=generators, output_type="pil",
            )
        return list(output.images)


def load_backend(
    model: str | None = None,
    device: str | None = None,
    dtype: str | None = None,
    offload: bool = False,
    vae_slicing: bool = False,
    vae_tiling: bool = False,
    single_file_config: str | None = None,
) -> DiffusersBackend:
    """Load `model` onto a device: CUDA float16 when a GPU is visible, else CPU float32."""
    model = str(model) if model is not None else config.default_render_model()
    device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, device)
    if offload and not device.startswith("cuda"):
        raise InputError("--offload moves weights between the CPU and a GPU; it needs a CUDA device (drop --offload on the CPU)")
    pipeline = load_pipeline(model, torch_dtype, single_file_config)
    _use_sdpa(pipeline)
    if offload:
        # accelerate hooks keep each component on the CPU until its forward pass.
        pipeline.enable_model_cpu_offload(device=device)
    else:
        pipeline.to(device)
    if vae_slicing:
        pipeline.vae.enable_slicing()
    if vae_tiling:
        pipeline.vae.enable_tiling()
    pipeline.set_progress_bar_config(disable=True)
    random_weights = Path(model).expanduser().is_dir() and is_random_weights(Path(model).expanduser())
    backend = DiffusersBackend(pipeline, model=model, device=device, random_weights=random_weights, offload=offload)
    backend.set_scheduler(DEFAULT_SCHEDULER)
    return backend


def _use_sdpa(pipeline) -> None:
    """PyTorch's fused scaled-dot-product attention for the UNet and VAE (memory-efficient, no xformers)."""
    from diffusers.models.attention_processor import AttnProcessor2_0

    for component in (pipeline.unet, pipeline.vae):
        component.set_attn_processor(AttnProcessor2_0())


__all__ = ["DiffusersBackend", "SCHEDULERS", "load_backend", "load_pipeline", "make_scheduler", "scheduler_names"]
