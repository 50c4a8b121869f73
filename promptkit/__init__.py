"""promptkit: prompt engineering for text-to-image models.

The public API is imported lazily so that `import promptkit` (and `promptkit --help`) stay light:
torch and transformers load only when a function that needs them is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from .errors import PromptkitError
    from .expander import ExpandSettings, Expander, expand
    from .prompts import Blocklist
    from .types import Expansion
    from .backends.base import RenderSettings
    from .compare import Comparison, compare
    from .metadata import ImageMetadata, read_png
    from .render import RenderedImage, RenderResult, render

_LAZY = {
    "expand": ("expander", "expand"),
    "Expander": ("expander", "Expander"),
    "ExpandSettings": ("expander", "ExpandSettings"),
    "Expansion": ("types", "Expansion"),
    "Blocklist": ("prompts", "Blocklist"),
    "PromptkitError": ("errors", "PromptkitError"),
    "train": ("training", "train"),
    "TrainConfig": ("training", "TrainConfig"),
    "evaluate": ("evaluation", "evaluate"),
    "render": ("render", "render"),
    "RenderResult": ("render", "RenderResult"),
    "RenderedImage": ("render", "RenderedImage"),
    "RenderSettings": ("backends.base", "RenderSettings"),
    "compare": ("compare", "compare"),
    "Comparison": ("compare", "Comparison"),
    "read_png": ("metadata", "read_png"),
    "ImageMetadata": ("metadata", "ImageMetadata"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module_name}", __name__), attribute)
    raise AttributeError(f"module 'promptkit' has no attribute {name!r}")
