"""promptkit: prompt engineering for text-to-image models.

The public API is imported lazily so that `import promptkit` (and `promptkit --help`) stay light:
torch and transformers load only when a function that needs them is called. `_PUBLIC` is the one
list of public names; the type-checking imports below are generated from the same table by
`tests/test_layout.py`, which fails when they disagree.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .core.version import __version__

# public name -> module that defines it
_PUBLIC = {
    "expand": "expansion.expander",
    "Expander": "expansion.expander",
    "ExpandSettings": "expansion.settings",
    "Expansion": "expansion.result",
    "Blocklist": "core.text",
    "PromptkitError": "core.errors",
    "train": "training.prompt_model",
    "TrainConfig": "training.prompt_model",
    "evaluate": "evaluation.expansion",
    "render": "rendering.renderer",
    "RenderResult": "rendering.renderer",
    "RenderedImage": "rendering.renderer",
    "RenderSettings": "rendering.settings",
    "compare": "rendering.comparison",
    "Comparison": "rendering.comparison",
    "reproduce": "rendering.reproduction",
    "read_png": "rendering.metadata",
    "ImageMetadata": "rendering.metadata",
    "Index": "retrieval.index",
    "search": "retrieval.index",
    "suggest": "retrieval.suggest",
    "SearchHit": "retrieval.results",
    "Suggestion": "retrieval.results",
    "topics": "topicmap.topics",
    "Topics": "topicmap.topics",
    "Topic": "topicmap.topics",
    "atlas": "topicmap.page",
    "AtlasFiles": "topicmap.page",
}

if TYPE_CHECKING:  # pragma: no cover - kept equal to _PUBLIC by tests/test_layout.py
    from .core.errors import PromptkitError
    from .core.text import Blocklist
    from .evaluation.expansion import evaluate
    from .expansion.expander import Expander, expand
    from .expansion.result import Expansion
    from .expansion.settings import ExpandSettings
    from .rendering.comparison import Comparison, compare
    from .rendering.metadata import ImageMetadata, read_png
    from .rendering.renderer import RenderedImage, RenderResult, render
    from .rendering.reproduction import reproduce
    from .rendering.settings import RenderSettings
    from .retrieval.index import Index, search
    from .retrieval.results import SearchHit, Suggestion
    from .retrieval.suggest import suggest
    from .topicmap.page import AtlasFiles, atlas
    from .topicmap.topics import Topic, Topics, topics
    from .training.prompt_model import TrainConfig, train

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'promptkit' has no attribute {name!r}")
