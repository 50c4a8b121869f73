"""Render backends: a small protocol, a registry, and the built-in diffusers Stable Diffusion backend.

Importing this package is light (no torch): a backend's module is imported only when it is loaded.
"""

from .base import (
    RenderBackend,
    available_backends,
    clear_backend_cache,
    get_backend,
    register_backend,
)

__all__ = ["RenderBackend", "available_backends", "clear_backend_cache", "get_backend", "register_backend"]
