"""`promptkit reproduce`: render an image again from the metadata in its PNG and compare pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from .backends.base import RenderBackend
from .metadata import ImageMetadata, read_png
from .renderer import RenderedImage, RenderJob, load_render_backend, render_batch, resolve_settings
from .settings import RenderSettings


@dataclass
class Reproduction:
    source: Path
    original: Any  # the PIL image read from `source`
    metadata: ImageMetadata
    rendered: RenderedImage
    model: str = ""  # the model used: --model, else the one the image names

    @property
    def max_difference(self) -> int:
        """Largest per-channel difference in 0-255 levels (0: identical pixels)."""
        import numpy as np

        a = np.asarray(self.original.convert("RGB"), dtype=np.int16)
        b = np.asarray(self.rendered.image.convert("RGB"), dtype=np.int16)
        if a.shape != b.shape:
            return 255
        return int(np.abs(a - b).max())

    @property
    def identical(self) -> bool:
        return self.max_difference == 0

    def to_dict(self) -> dict:
        return {"source": str(self.source), "model": self.model, "identical": self.identical, "max_difference": self.max_difference,
                "metadata": self.rendered.to_dict()}


def reproduce(image: str | Path, *, model: str | None = None, backend: str | RenderBackend | None = None, **backend_options) -> Reproduction:
    """Render `image` again from its metadata. A batched original is re-rendered with its whole
    batch (batched and single renders may differ by a pixel level). `model` overrides the recorded one."""
    path = Path(image)
    original, meta = read_png(path)
    settings = RenderSettings(steps=meta.steps, guidance=meta.guidance, width=meta.width, height=meta.height,
                              negative=meta.negative, scheduler=meta.scheduler)
    model = model or trusted_model(meta.model)
    loaded = load_render_backend(backend or meta.backend, model, **backend_options)
    settings = resolve_settings(loaded, settings)
    extra = dict(original_prompt=meta.original_prompt, added=meta.added, expansion_model=meta.expansion_model)
    if meta.batch:
        jobs = [RenderJob(prompt=p, seed=s, index=i) for i, (p, s) in enumerate(meta.batch)]
        jobs[meta.batch_index] = RenderJob(prompt=meta.prompt, seed=meta.seed, index=meta.batch_index, **extra)
        rendered = render_batch(loaded, jobs, settings)[meta.batch_index]
    else:
        rendered = render_batch(loaded, [RenderJob(prompt=meta.prompt, seed=meta.seed, **extra)], settings)[0]
    return Reproduction(source=path, original=original, metadata=meta, rendered=rendered, model=model)


def trusted_model(name: str) -> str:
    """The model an image's metadata names, if loading it downloads nothing new: a local path, the
    default model, or a hub id already in the local cache. Anything else must be passed with --model,
    so an image from the internet cannot make promptkit download the model it names."""
    from ..core import config
    from ..core.text import printable

    if config.looks_like_path(name, (".safetensors", ".ckpt")) or name in (config.DEFAULT_RENDER_MODEL, config.default_render_model()):
        return name
    if (config.hf_cache_dir() / f"models--{name.replace('/', '--')}").is_dir():
        return name
    raise InputError(f"the image names the model '{printable(name)}', which is neither the default nor in the local cache; "
                     f"reproduce does not download a model an image names: pass --model '{printable(name)}' to use it")
