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
from .renderer import (
    RANDOM_WEIGHTS_WARNING,
    RenderedImage,
    RenderJob,
    _save_plain_png,
    grid_title,
    load_render_backend,
    render_jobs,
    resolve_seeds,
    write_json,
)
from .settings import DEFAULT_GUIDANCE, DEFAULT_SCHEDULER, DEFAULT_STEPS, RenderSettings

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
class Comparison:
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

    def image(self, row: int, column: int) -> RenderedImage:
        return self.images[row * len(self.prompts) + column]

    def column_name(self, column: int) -> str:
        return "short" if column == 0 else f"expansion{column}"

    def captions(self):
        from .grid import Caption

        return [Caption("short prompt", self.prompt)] + [
            Caption(f"expansion {i + 1}", e.prompt, tuple(e.added)) for i, e in enumerate(self.expansions)
        ]

    @property
    def grid(self):
        """The labelled comparison grid as a PIL image (built on first use)."""
        if self._grid is None:
            from .grid import make_grid

            columns = len(self.prompts)
            rows = [[self.image(r, c).image for c in range(columns)] for r in range(len(self.seeds))]
            first = self.images[0].metadata
            self._grid = make_grid(
                rows, self.captions(), [f"seed {s}" for s in self.seeds], title=grid_title(first),
                warning=RANDOM_WEIGHTS_WARNING if first.random_weights else "",
            )
        return self._grid

    def default_folder_name(self) -> str:
        return f"compare-{slugify(self.prompt)}-seed{self.seeds[0]}"

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


def compare(
    prompt: str,
    n: int = 3,
    seed: int | None = None,
    *,
    seeds: Sequence[int] | None = None,
    expand_model: str | None = None,
    model: str | None = None,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    width: int | None = None,
    height: int | None = None,
    negative: str = "",
    scheduler: str = DEFAULT_SCHEDULER,
    batch_size: int | None = None,
    expand_settings: ExpandSettings | None = None,
    backend: str | RenderBackend = "diffusers",
    **backend_options,
) -> Comparison:
    """Expand `prompt` into `n` variants (seeded by `seed`, or the first of `seeds`), then render
    the short prompt and every expansion with each seed, all in one batched call unless
    `batch_size` caps it. `expand_model` is the prompt model; `model` the Stable Diffusion model."""
    from dataclasses import replace

    from ..expansion.expander import get_expander, resolve_seed, validate_prompt

    expand_settings = replace(expand_settings or ExpandSettings(), n=n)
    prompt = validate_prompt(prompt, expand_settings.clip_budget)
    if seeds is not None:
        seed_list = resolve_seeds(None, seeds)
        expansion_seed = resolve_seed(seed) if seed is not None else seed_list[0]
    else:
        seed_list = resolve_seeds(seed)
        expansion_seed = seed_list[0]
    settings = RenderSettings(steps=steps, guidance=guidance, width=width, height=height, negative=negative, scheduler=scheduler)
    expansions = get_expander(expand_model).expand(prompt, seed=expansion_seed, settings=expand_settings)
    loaded = load_render_backend(backend, model, **backend_options)
    jobs = []
    for s in seed_list:
        jobs.append(RenderJob(prompt=prompt, seed=s, index=0))
        jobs.extend(RenderJob(prompt=e.expanded, seed=s, index=i + 1, original_prompt=prompt, added=tuple(e.added), expansion_model=e.model)
                    for i, e in enumerate(expansions))
    images = render_jobs(loaded, jobs, settings, batch_size)
    resolved = images[0].metadata
    settings = replace(settings, width=resolved.width, height=resolved.height)
    return Comparison(prompt=prompt, expansions=expansions, seeds=seed_list, images=images, settings=settings, backend=loaded.describe())
