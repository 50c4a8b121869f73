"""The render backend protocol, the settings every render carries, and the backend registry.

A backend turns a batch of prompts (each with its own seed) into PIL images. Built-in backends are
registered exactly like third-party ones: `register_backend(name, loader)`, where `loader(model,
**options)` returns an object satisfying `RenderBackend`.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

from ..errors import InputError

MIN_SIZE = 64
MAX_SIZE = 2048  # 2048x2048 already needs ~20 GB of activations in SD 2.1; larger is a typo
MAX_STEPS = 500
MAX_GUIDANCE = 50.0
MAX_NEGATIVE_CHARS = 1000
DEFAULT_STEPS = 25  # DPM-Solver++ 2M converges in 20-25 steps (the diffusers quickstart runs 50 PNDM steps)
DEFAULT_GUIDANCE = 7.5
DEFAULT_SCHEDULER = "dpm++"


@dataclass(frozen=True)
class RenderSettings:
    """Everything besides the prompt and seed that decides the pixels.

    `width`/`height` of None mean the model's native size (768 for SD 2.1).
    """

    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    width: int | None = None
    height: int | None = None
    negative: str = ""
    scheduler: str = DEFAULT_SCHEDULER

    def validate(self) -> "RenderSettings":
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= MAX_STEPS:
            raise InputError(f"steps must be an integer between 1 and {MAX_STEPS}, got {self.steps!r}; pass e.g. --steps {DEFAULT_STEPS}")
        if not isinstance(self.guidance, (int, float)) or not 0 <= self.guidance <= MAX_GUIDANCE:
            raise InputError(f"guidance must be between 0 and {MAX_GUIDANCE:g}, got {self.guidance!r}; pass e.g. --guidance {DEFAULT_GUIDANCE}")
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not MIN_SIZE <= value <= MAX_SIZE:
                raise InputError(f"{name} must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {value!r}; pass e.g. --{name} 768")
            if value % 8:
                raise InputError(f"{name} must be a multiple of 8 (the VAE works on 8x8 blocks), got {value}; pass e.g. --{name} {round(value / 8) * 8 or 8}")
        if not isinstance(self.negative, str):
            raise InputError(f"negative prompt must be text, got {type(self.negative).__name__}")
        if len(self.negative) > MAX_NEGATIVE_CHARS:
            raise InputError(f"negative prompt is {len(self.negative):,} characters, more than the {MAX_NEGATIVE_CHARS:,} allowed; shorten --negative")
        if not isinstance(self.scheduler, str) or not self.scheduler:
            raise InputError(f"scheduler must be a name, got {self.scheduler!r}; pass e.g. --scheduler {DEFAULT_SCHEDULER}")
        return self

    def to_dict(self) -> dict:
        return asdict(self)


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
    "diffusers": "promptkit.backends.diffusers_sd:load_backend",
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
    from .. import config

    model = str(model) if model is not None else config.default_render_model()
    key = (backend, model, tuple(sorted((k, str(v)) for k, v in options.items())))
    if key not in _CACHE:
        _CACHE[key] = _resolve(backend)(model, **options)
    return _CACHE[key]


def clear_backend_cache() -> None:
    _CACHE.clear()
