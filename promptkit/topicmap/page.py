"""`atlas()`: the index's topics as a self-contained HTML map (atlas.html) and a picture (atlas.png).

The page is a small hand-written canvas page (`atlas.html` beside this module, about 150 lines of
HTML, CSS and JavaScript) with the data inlined as JSON: it opens from disk with no network and no
library, and its search, hover card and copy-on-click are a few lines each. Plotting libraries
that write self-contained pages (plotly, bokeh) inline 1-4 MB of JavaScript and add a dependency
for what a canvas does here in 10 kB.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.files import atomic_write_bytes, atomic_write_text, ensure_output_dir
from ..retrieval.index import Index, get_index
from . import stored
from .picture import draw_map
from .projection import MAX_POINTS, Layout, layout, sample_rows
from .topics import SEED, Topics, hidden_rows, load_topics, require_prompts
from .vectors import one_thread, reduced

MARKER = '<meta name="generator" content="promptkit atlas">'
SOFTWARE = "promptkit atlas"
LAYOUT_VERSION = 2  # bumped when the layout changes: maps stored before are laid out anew


@dataclass(frozen=True)
class AtlasFiles:
    """What `atlas()` wrote: the page and the picture, and what they show."""

    html: Path
    png: Path
    points: int  # prompts drawn
    prompts: int  # prompts in the index (all of them are in a topic)
    topics: int

    @property
    def paths(self) -> tuple[Path, Path]:
        return self.html, self.png

    @property
    def sampled(self) -> bool:
        return self.points < self.prompts


def _ours(path: Path) -> bool:
    """A page or picture an earlier atlas wrote (recognised by its generator mark)."""
    try:
        if path.suffix.lower() == ".png":
            from PIL import Image

            with Image.open(path) as image:
                return image.info.get("Software") == SOFTWARE
        with path.open("rb") as handle:
            return MARKER.encode() in handle.read(2048)
    except (OSError, ValueError, SyntaxError):
        return False


def output_paths(out: str | Path, force: bool = False) -> tuple[Path, Path]:
    """The page and picture paths, checked before any slow work: never a folder, never a file promptkit did not write (unless `force`)."""
    page = Path(out).expanduser()
    if page.is_dir():
        raise InputError(f"--out '{out}' is a folder; pass a file name, e.g. --out {page / 'atlas.html'}")
    if page.suffix.lower() == ".png":
        raise InputError(f"--out '{out}' names the picture; pass the page's name, e.g. --out {page.with_suffix('.html')} (the picture goes beside it)")
    picture = page.with_suffix(".png")
    ensure_output_dir(page.parent if str(page.parent) else ".")
    for path in (page, picture):
        if path.is_dir():
            raise InputError(f"'{path}' is a folder and the atlas would write a file there; pass another --out")
        if path.exists() and not force and not _ours(path):
            raise InputError(f"'{path}' exists and is not a promptkit atlas; pass another --out, or --force to replace it")
    return page, picture


def _layout(index: Index, found: Topics, max_points: int, vectors: Callable[[], np.ndarray]) -> Layout:
    """The map positions, read back from the index folder when the same topics were laid out before."""
    stamp = stored.index_stamp(index)
    key = hashlib.sha256(found.assignments.astype(np.int32).tobytes()).hexdigest()[:16] + f"-{max_points}-{SEED}-{LAYOUT_VERSION}"
    kept = stored.read_stored(index.path, stored.LAYOUT_FILE, stamp)
    if kept is not None and kept[0].get("key") == key and {"rows", "xy"} <= set(kept[1]):
        return Layout(kept[1]["rows"].astype(np.int64), kept[1]["xy"].astype(np.float32))
    with one_thread():
        reduced_vectors = vectors()
        labels = found.assignments
        centres = np.stack([reduced_vectors[labels == t].mean(axis=0) for t in range(len(found))])
        made = layout(reduced_vectors, labels, centres, sample_rows(index.size, hidden_rows(index), max_points, SEED), SEED)
    stored.write_stored(index.path, stored.LAYOUT_FILE, stamp, {"key": key}, {"rows": made.rows.astype(np.int32), "xy": made.xy})
    return made


def page_data(index: Index, found: Topics, placed: Layout) -> dict:
    topics_drawn = found.assignments[placed.rows]
    shown = f"{len(placed.rows):,} prompts" if len(placed.rows) == index.size else \
        f"a seeded sample of {len(placed.rows):,} of {index.size:,} prompts (topics cover all of them)"
    labels = []
    for topic in found:
        members = placed.xy[topics_drawn == topic.id]
        if len(members):
            x, y = np.median(members, axis=0)
            labels.append({"id": topic.id, "label": topic.label, "size": topic.size, "x": round(float(x), 4), "y": round(float(y), 4)})
    return {"title": f"Prompt atlas: {index.name}", "note": f"{len(found)} topics · showing {shown}",
            "x": [round(float(v), 4) for v in placed.xy[:, 0]], "y": [round(float(v), 4) for v in placed.xy[:, 1]],
            "t": [int(t) for t in topics_drawn], "prompts": [index.prompt(int(i)) for i in placed.rows], "topics": labels}


def render_page(data: dict) -> str:
    template = resources.files(__package__).joinpath("atlas.html").read_text(encoding="utf-8")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")  # nothing can close the script tag
    return template.replace("__TITLE__", html.escape(data["title"])).replace("__DATA__", payload)


def _picture_bytes(data: dict) -> bytes:
    import io

    from PIL.PngImagePlugin import PngInfo

    image = draw_map(np.array([data["x"], data["y"]], dtype=np.float32).T.reshape(-1, 2), np.array(data["t"], dtype=np.int64),
                     [(t["label"], t["x"], t["y"]) for t in data["topics"]], data["title"], data["note"])
    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, optimize=True)
    return buffer.getvalue()


def atlas(index: str | Index | None = None, out: str | Path = "atlas.html", *, k: int | None = None,
          max_points: int = MAX_POINTS, force: bool = False) -> AtlasFiles:
    """Write the atlas of `index` (default: the most recently built) to `out` and its picture beside it (.png)."""
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 50:
        raise InputError(f"max_points must be a whole number of at least 50, got {max_points!r}")
    page, picture = output_paths(out, force)
    loaded = index if isinstance(index, Index) else get_index(index)
    require_prompts(loaded)
    vectors = functools.cache(lambda: reduced(loaded.embeddings, SEED))  # computed at most once, for the topics and the map
    found = load_topics(loaded, k, vectors)
    placed = _layout(loaded, found, max_points, vectors)
    data = page_data(loaded, found, placed)
    atomic_write_text(page, render_page(data))
    atomic_write_bytes(picture, _picture_bytes(data))
    return AtlasFiles(page, picture, len(placed.rows), loaded.size, len(found))
