"""`promptkit.compare`: expand a prompt, render the short prompt and each expansion with the same
seed(s), and lay them out as a labelled grid (a column per prompt, a row per seed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.files import ensure_output_dir, slugify
from ..expansion.expander import ExpandSettings
from ..expansion.result import Expansion
from .backends.base import RenderBackend
from .renderer import ImageGrid, RenderedImage, RenderJob, _save_plain_png, batches, load_for, render_jobs, resolve_seeds, write_json
from .settings import RenderSettings

GRID_FILE = "grid.png"
SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class SavedComparison:
    folder: Path
    grid: Path
    images: list[Path]
    summary: Path

    @property
    def files(self) -> list[Path]:
        return [self.grid, *self.images, self.summary]

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "grid": str(self.grid), "images": [str(p) for p in self.images],
                "summary": str(self.summary), "files": [str(p) for p in self.files]}


@dataclass
class Comparison(ImageGrid):
    """The short prompt and its expansions rendered with the same seeds.

    `images` is row-major: one row per seed, one column per prompt (the short prompt first).
    """

    prompt: str
    expansions: list[Expansion]
    seeds: list[int]
    images: list[RenderedImage]
    settings: RenderSettings
    backend: dict = field(default_factory=dict)
    _grid: Any = field(default=None, repr=False)

    @property
    def prompts(self) -> list[str]:
        return [self.prompt, *(e.expanded for e in self.expansions)]

    def column_name(self, column: int) -> str:
        return "short" if column == 0 else f"expansion{column}"

    def captions(self):
        from .grid import Caption

        return [Caption("short prompt", self.prompt)] + [
            Caption(f"expansion {i + 1}", e.prompt, tuple(e.added)) for i, e in enumerate(self.expansions)
        ]

    def save(self, folder: str | Path) -> SavedComparison:
        """Write the grid, each image (PNG with metadata) and a JSON summary into `folder`."""
        folder = ensure_output_dir(folder)
        columns = len(self.prompts)
        image_paths = []
        for row, seed in enumerate(self.seeds):
            for column in range(columns):
                path = folder / f"{self.column_name(column)}-seed{seed}.png"
                image_paths.append(self.image(row, column).save(path))
        grid = _save_plain_png(self.grid, folder / GRID_FILE)
        summary = write_json(folder / SUMMARY_FILE, self.to_dict(image_names=[p.name for p in image_paths]))
        return SavedComparison(folder=folder, grid=grid, images=image_paths, summary=summary)

    def to_dict(self, image_names: Sequence[str] | None = None) -> dict:
        from ..core.version import __version__

        images = []
        for i, rendered in enumerate(self.images):
            row, column = divmod(i, len(self.prompts))
            entry = {"row": row, "column": column, "kind": self.column_name(column), "prompt": rendered.prompt, "seed": rendered.seed}
            if image_names:
                entry["file"] = image_names[i]
            images.append(entry)
        return {
            "prompt": self.prompt, "seeds": self.seeds, "expansions": [e.to_dict() for e in self.expansions],
            "settings": self.settings.to_dict(), "backend": self.backend,
            "random_weights": bool(self.backend.get("random_weights")), "grid": GRID_FILE, "images": images,
            "promptkit_version": __version__,
        }


class Background:
    """`function(*args, **kwargs)` started in a daemon thread (so a failure elsewhere never waits for it);
    `result()` joins it and returns its value or raises its exception. Under `accelerate launch` it runs
    in place instead: each process sets up its distributed state on its main thread."""

    def __init__(self, function, *args, **kwargs):
        import os
        import threading

        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = None
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            self._run(function, args, kwargs)
        else:
            self._thread = threading.Thread(target=self._run, args=(function, args, kwargs), name="promptkit-load", daemon=True)
            self._thread.start()

    def _run(self, function, args, kwargs) -> None:
        try:
            self._value = function(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread by result()
            self._error = exc

    def result(self):
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def default_folder_name(prompt: str, seed: int) -> str:
    """Where `promptkit compare` writes when no folder is given (under out/)."""
    return f"compare-{slugify(prompt)}-seed{seed}"


def compare(
    prompt: str,
    n: int = 3,
    seed: int | None = None,
    *,
    seeds: Sequence[int] | None = None,
    settings: RenderSettings | None = None,
    expand_model: str | None = None,
    model: str | None = None,
    batch_size: int | None = None,
    expand_settings: ExpandSettings | None = None,
    backend: str | RenderBackend = "diffusers",
    **backend_options,
) -> Comparison:
    """Expand `prompt` into `n` variants (seeded by `seed`, or the first of `seeds`), then render
    the short prompt and every expansion with each seed, all in one batched call unless
    `batch_size` caps it. `expand_model` is the prompt model; `model` the Stable Diffusion model;
    `settings` the render settings (`RenderSettings()` if None)."""
    from dataclasses import replace

    from ..core.seeds import resolve_seed
    from ..core.text import validate_prompt
    from ..expansion.expander import get_expander

    if expand_settings is None:
        expand_settings = ExpandSettings(n=n)
    elif expand_settings.n != n:
        expand_settings = replace(expand_settings, n=n)
    prompt = validate_prompt(prompt, expand_settings.clip_budget)  # before any model loads
    batches([], batch_size)  # so is a bad batch size
    if seeds is not None:
        seed_list = resolve_seeds(None, seeds)
        expansion_seed = resolve_seed(seed) if seed is not None else seed_list[0]
    else:
        seed_list = resolve_seeds(seed)
        expansion_seed = seed_list[0]
    # The render model loads in a thread while the prompt model expands: both mostly wait on imports,
    # file reads and torch kernels, which run side by side (the first grid comes seconds sooner).
    loading = Background(load_for, backend, model, settings or RenderSettings(), **backend_options)
    expansions = get_expander(expand_model).expand_valid(prompt, expansion_seed, expand_settings)
    loaded, resolved = loading.result()
    jobs = []
    for s in seed_list:
        jobs.append(RenderJob(prompt=prompt, seed=s, index=0))
        jobs.extend(RenderJob(prompt=e.expanded, seed=s, index=i + 1, original_prompt=prompt, added=tuple(e.added), expansion_model=e.model)
                    for i, e in enumerate(expansions))
    images, _ = render_jobs(loaded, jobs, resolved, batch_size)
    return Comparison(prompt=prompt, expansions=expansions, seeds=seed_list, images=images, settings=resolved, backend=loaded.describe())
