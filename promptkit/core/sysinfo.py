"""Facts for bug reports (`promptkit info`): versions, device, settings, locations. Never secrets."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

from . import config
from .version import __version__

PACKAGES = ("torch", "diffusers", "transformers", "accelerate", "safetensors", "tokenizers", "pillow", "numpy",
            "sentence-transformers", "typer", "rich")
TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def device_info() -> dict:
    import torch

    info = {"cuda": torch.cuda.is_available(), "cpu_threads": torch.get_num_threads(), "default_device": "cpu", "default_dtype": "float32"}
    if info["cuda"]:
        info.update(default_device="cuda", default_dtype="float16", gpu=torch.cuda.get_device_name(0),
                    gpu_count=torch.cuda.device_count(), cuda_version=torch.version.cuda)
    return info


def hf_token_status() -> str:
    """Where a Hugging Face token would come from ('HF_TOKEN', 'saved login' or 'none'); never its value."""
    for name in TOKEN_VARIABLES:
        if os.environ.get(name):
            return name
    token_file = os.environ.get("HF_TOKEN_PATH") or os.path.join(os.environ.get("HF_HOME") or os.path.expanduser("~/.cache/huggingface"), "token")
    return "saved login" if os.path.isfile(token_file) else "none"


def _setting(name: str, value: str) -> dict:
    return {"value": value, "source": f"env {name}" if os.environ.get(name) else "default"}


def render_model_status(model: str) -> str:
    """Whether the render model is ready without the network: 'cached', 'partial' or 'missing' in
    the local Hugging Face cache for a hub id (read from disk only), or 'local folder' / 'local file'
    / 'missing path' for a path."""
    from pathlib import Path

    path = Path(model).expanduser()
    if path.is_dir() or path.is_file():
        return "local folder" if path.is_dir() else "local file"
    if config.looks_like_path(model, (".safetensors", ".ckpt")):
        return "missing path"
    from .hf import hub_cache_state

    return hub_cache_state(model)


def system_info() -> dict:
    return {
        "promptkit": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "device": device_info(),
        "settings": {
            "render_model": {**_setting("PROMPTKIT_RENDER_MODEL", config.default_render_model()),
                             "cache": render_model_status(config.default_render_model())},
            "expand_model": _setting("PROMPTKIT_MODEL", config.default_model()),
            "embedder": _setting("PROMPTKIT_EMBEDDER", config.default_index_embedder()),
            "hf_hub_offline": os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false", "False"),
            "hf_token": hf_token_status(),
        },
        "locations": {
            # Where promptkit writes: PROMPTKIT_DATA_DIR, else $XDG_DATA_HOME/promptkit; indexes live under it.
            "data": {"value": str(config.user_data_dir()), "source": "env PROMPTKIT_DATA_DIR" if os.environ.get("PROMPTKIT_DATA_DIR") else "default"},
            "indexes": str(config.indexes_dir()),
            "shipped_data": str(config.data_dir()),
            "embedded_model": str(config.embedded_model_path()),
            "embedded_model_present": config.embedded_model_path().is_dir(),
            "lexicon": str(config.lexicon_path()),
            "hf_cache": str(config.hf_cache_dir()),
        },
    }
