"""Silence transformers/diffusers progress bars and info logs: the CLI owns the terminal."""

from __future__ import annotations

import warnings


def quiet_transformers() -> None:
    # In a notebook without ipywidgets, the first import of tqdm.auto (through huggingface_hub)
    # warns "IProgress not found"; promptkit shows no progress bars from these libraries anyway.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


def quiet_diffusers() -> None:
    # Quiet transformers before diffusers imports it: otherwise importing the SD pipeline logs a
    # torchvision notice about image processors promptkit never uses.
    quiet_transformers()
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    diffusers_logging.disable_progress_bar()


# --- the local Hugging Face cache, read without the network --------------------------------------

WEIGHTS_FILE = "unet/diffusion_pytorch_model.safetensors"  # the largest file of a diffusers SD folder


def hub_offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it (1, on, yes or true), from the environment now."""
    import os

    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def hub_cache_state(repo_id: str) -> str:
    """'cached', 'partial' or 'missing': whether a diffusers hub model is in the local Hugging Face
    cache (model_index.json and the UNet weights), looked up on disk only."""
    from huggingface_hub import try_to_load_from_cache

    from .config import hf_cache_dir

    found = []
    for filename in ("model_index.json", WEIGHTS_FILE):
        try:
            found.append(isinstance(try_to_load_from_cache(repo_id, filename, cache_dir=hf_cache_dir()), str))
        except ValueError:  # not a valid hub id (huggingface_hub's validation error is a ValueError)
            return "missing"
    return "cached" if all(found) else "partial" if any(found) else "missing"


# What `from_pretrained(use_safetensors=True)` reads from a diffusers SD repo: configs, tokenizer files
# and the full-precision safetensors weights (not the .ckpt, .bin and fp16 copies that triple the download).
DOWNLOAD_PATTERNS = ("*.json", "*.txt", "*/model.safetensors", "*/diffusion_pytorch_model.safetensors")


def download_command(repo_id: str) -> str:
    """The one command that puts what promptkit loads of `repo_id` in the local cache (with the hub switched back on if needed)."""
    includes = " ".join(f'--include "{pattern}"' for pattern in DOWNLOAD_PATTERNS)
    return f"{'HF_HUB_OFFLINE=0 ' if hub_offline() else ''}hf download {repo_id} {includes}"


def not_cached_message(repo_id: str, state: str) -> str:
    """Why a hub model cannot load offline, and the command that fixes it, in one line."""
    where = "is only partly in" if state == "partial" else "is not in"
    why = "the Hugging Face Hub is offline (HF_HUB_OFFLINE is set)" if hub_offline() else "the Hugging Face Hub cannot be reached"
    return (f"model '{repo_id}' {where} the local Hugging Face cache and {why}; "
            f"download it once with `{download_command(repo_id)}`, or pass a local diffusers folder with --model")
