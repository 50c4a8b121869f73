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
    from .index import Index, search
    from .suggest import suggest
    from .types import Expansion, SearchHit, Suggestion

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
    "Index": ("index", "Index"),
    "search": ("index", "search"),
    "suggest": ("suggest", "suggest"),
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
