"""promptkit: prompt engineering for text-to-image models.

The public API is imported lazily so that `import promptkit` (and `promptkit --help`) stay light:
torch and transformers load only when a function that needs them is called. The modules are named
apart from the functions they hold (`rendering.render`, `comparison.compare`) because importing a
submodule sets it as a package attribute, which would shadow a function of the same name.
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
    from .comparison import Comparison, compare
    from .metadata import ImageMetadata, read_png
    from .rendering import RenderedImage, RenderResult, render
    from .reproduction import reproduce
    from .index import Index, search
    from .suggestions import suggest
    from .types import SearchHit, Suggestion

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
    "render": ("rendering", "render"),
    "RenderResult": ("rendering", "RenderResult"),
    "RenderedImage": ("rendering", "RenderedImage"),
    "RenderSettings": ("backends.base", "RenderSettings"),
    "compare": ("comparison", "compare"),
    "Comparison": ("comparison", "Comparison"),
    "reproduce": ("reproduction", "reproduce"),
    "read_png": ("metadata", "read_png"),
    "ImageMetadata": ("metadata", "ImageMetadata"),
    "Index": ("index", "Index"),
    "search": ("index", "search"),
    "suggest": ("suggestions", "suggest"),
    "SearchHit": ("types", "SearchHit"),
    "Suggestion": ("types", "Suggestion"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module_name}", __name__), attribute)
    raise AttributeError(f"module 'promptkit' has no attribute {name!r}")
