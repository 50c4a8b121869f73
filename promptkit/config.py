"""Settings and locations: argument > PROMPTKIT_* environment variable > default."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL_NAME = "prompt-model"
EMBEDDED = "embedded"  # the --model value that names the shipped default model


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
