"""The render backend protocol and the backend registry.

A backend turns a batch of prompts (each with its own seed) into PIL images. Built-in backends are
registered exactly like third-party ones: `register_backend(name, loader)`, where `loader(model,
**options)` returns an object satisfying `RenderBackend`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from ...core.errors import InputError
from ..settings import RenderSettings


@runtime_checkable
class RenderBackend(Protocol):
    """What compare/render need from an image generator."""

    name: str  # the backend's registry name, e.g. "diffusers"
    model: str  # the model as the user named it (hub id, folder, checkpoint)
    random_weights: bool  # True for test pipelines: everything they produce is labelled as noise

    def schedulers(self) -> list[str]:
        """Scheduler names `render` accepts."""

    def native_size(self) -> tuple[int, int]:
        """(width, height) used when the settings leave the size open."""

    def render(self, prompts: Sequence[str], seeds: Sequence[int], settings: RenderSettings) -> list[Any]:
        """One PIL image per (prompt, seed) pair; the same inputs give the same pixels."""

    def describe(self) -> dict:
        """Device, dtype and other facts worth recording beside an image (never secrets)."""


BackendLoader = Callable[..., RenderBackend]

# name -> loader, or "module:function" resolved on first use so that registering costs no imports.
_REGISTRY: dict[str, BackendLoader | str] = {
    "diffusers": "promptkit.rendering.backends.diffusers_sd:load_backend",
}
_CACHE: dict[tuple, RenderBackend] = {}


def register_backend(name: str, loader: BackendLoader | str) -> None:
    """Make `get_backend(backend=name)` call `loader(model, **options)`."""
    _REGISTRY[name] = loader


def available_backends() -> list[str]:
    return sorted(_REGISTRY)


def _resolve(name: str) -> BackendLoader:
    if name not in _REGISTRY:
        raise InputError(f"unknown backend {name!r}; choose one of: {', '.join(available_backends())}")
    loader = _REGISTRY[name]
    if isinstance(loader, str):
        module_name, _, attribute = loader.partition(":")
        loader = getattr(importlib.import_module(module_name), attribute)
        _REGISTRY[name] = loader
    return loader


def get_backend(model: str | None = None, backend: str = "diffusers", **options) -> RenderBackend:
    """A loaded backend, cached by its arguments so that repeated renders reuse the pipeline."""
    from ...core import config

    model = str(model) if model is not None else config.default_render_model()
    key = (backend, model, tuple(sorted((k, str(v)) for k, v in options.items())))
    if key not in _CACHE:
        _CACHE[key] = _resolve(backend)(model, **options)
    return _CACHE[key]


def clear_backend_cache() -> None:
    _CACHE.clear()
