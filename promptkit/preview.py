"""Rich renderables for terminal previews: the user's words plain, each added modifier coloured by its category.

Nothing here prints: the CLI hands these to a console, and rich writes the colours the terminal
supports (true colour, 256 or 16 colours, or none when piped or NO_COLOR is set).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from .expansion.result import Expansion
from .retrieval.results import Suggestion

# One style per modifier category (the lexicon's categories, and "mood" from the relevance
# vocabulary): the same modifier is always the same colour, in every variant and every command.
CATEGORY_STYLES = {
    "medium": "bold cyan", "style": "bold magenta", "artist": "bold green", "lighting": "bold yellow",
    "colour": "bold bright_red", "mood": "bold bright_magenta", "camera": "bold bright_blue", "quality": "bold italic",
    "other": "bold",
}
MIN_PREVIEW_ROWS = 4  # below this many free rows an image preview is skipped
SHELL_ROWS = 1  # the shell prompt that follows the output


@functools.lru_cache(maxsize=4096)
def modifier_category(modifier: str) -> str:
    """The modifier's category by the lexicon's keyword rules ("other" when none fits)."""
    from .modifiers.lexicon import categorize

    return categorize(modifier)


def modifier_style(modifier: str) -> str:
    return CATEGORY_STYLES[modifier_category(modifier)]


def category_legend(categories) -> Text:
    """One line naming each category shown, in its colour, in the lexicon's order."""
    present = set(categories)
    shown = [c for c in CATEGORY_STYLES if c in present]
    text = Text.assemble(("modifiers: ", "dim"))  # dim this label only, not the whole line
    for i, category in enumerate(shown):
        if i:
            text.append(" · ", style="dim")
        text.append(category, style=CATEGORY_STYLES[category])
    return text


def expansions_legend(expansions: Sequence[Expansion]) -> Text:
    return category_legend(modifier_category(m) for e in expansions for m in e.added)


def expansion_text(expansion: Expansion) -> Text:
    """The expanded prompt with the original part plain and each added modifier in its category's colour."""
    text = Text(expansion.prompt)
    separator = " " if expansion.prompt.rstrip().endswith(",") else ", "
    for i, modifier in enumerate(expansion.added):
        text.append(separator if i == 0 else ", ")
        text.append(modifier, style=modifier_style(modifier))
    return text


def budget_text(expansion: Expansion) -> Text:
    budget = expansion.clip_budget
    if budget is None:
        return Text(f"{expansion.clip_tokens} CLIP tokens (budget off)", style="dim")
    style = "green" if expansion.clip_tokens <= budget else "bold red"
    notes = []
    if expansion.trimmed:
        notes.append(f"{expansion.trimmed} trimmed to fit")
    if expansion.blocked:
        notes.append(f"{expansion.blocked} blocked")
    suffix = f" ({', '.join(notes)})" if notes else ""
    return Text.assemble((f"{expansion.clip_tokens}/{budget} CLIP tokens", style), (f", +{len(expansion.added)} modifiers{suffix}", "dim"))


def expansion_renderable(expansion: Expansion) -> Group:
    return Group(expansion_text(expansion), budget_text(expansion))


def expansions_renderable(expansions: Sequence[Expansion]) -> Group:
    """A header naming prompt, seed and model, then each variant with its CLIP count, then the colour legend.

    Each variant is a row of a two-column grid, so a long expansion wraps under its own first word,
    not back to column 0."""
    from rich.table import Table

    if not expansions:
        return Group()
    first = expansions[0]
    header = Text.assemble(("» ", "bold"), (first.prompt, "bold"), (f"   seed {first.seed} · model {first.model}", "dim"))
    rows = Table.grid(padding=(0, 1))
    rows.add_column(justify="right", no_wrap=True, style="dim")
    rows.add_column()
    for expansion in expansions:
        # The number is dim; the prompt and its modifiers keep their own styles.
        rows.add_row(f"{expansion.index + 1:>2}.", expansion_text(expansion))
        rows.add_row("", budget_text(expansion))
    parts = [header, rows]
    if any(e.added for e in expansions):
        parts.append(Text("    ").append_text(expansions_legend(expansions)))
    parts.append(Text(""))
    return Group(*parts)


# --- images in the terminal ----------------------------------------------------------------


class HalfBlockImage:
    """An image drawn with '▀' characters: each cell shows two pixels (foreground top, background
    bottom); rich writes them in the colours the terminal supports. At most `max_width` columns
    and, when given, `max_rows` text rows (the aspect ratio is kept)."""

    def __init__(self, image, max_width: int = 100, max_rows: int | None = None):
        self.image = image
        self.max_width = max_width
        self.max_rows = max_rows

    def _scaled(self, columns: int):
        from PIL import Image

        image = self.image.convert("RGB")
        width = max(1, min(columns, self.max_width, image.width))
        if self.max_rows is not None:  # two pixel rows per text row
            width = max(1, min(width, (2 * self.max_rows * image.width) // image.height))
        height = max(2, round(image.height * width / image.width))
        height += height % 2
        if self.max_rows is not None:
            height = min(height, 2 * max(1, self.max_rows))
        return image.resize((width, height), Image.Resampling.BOX)

    def __rich_console__(self, console, options):
        from rich.color import Color
        from rich.segment import Segment
        from rich.style import Style

        image = self._scaled(options.max_width)
        pixels = image.load()
        for y in range(0, image.height, 2):
            for x in range(image.width):
                top, bottom = pixels[x, y], pixels[x, y + 1]
                yield Segment("▀", Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom)))
            yield Segment.line()

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        width = self._scaled(options.max_width).width
        return Measurement(width, width)


def image_preview(image, max_width: int = 100, max_rows: int | None = None) -> HalfBlockImage:
    return HalfBlockImage(image, max_width=max_width, max_rows=max_rows)


def rows_of(console, renderables: Sequence) -> int:
    """Text rows the renderables take on `console` at its width."""
    return sum(len(console.render_lines(r, console.options, pad=False)) for r in renderables)


def fitted_screen(console, image, below: Sequence, max_width: int = 100) -> Group:
    """`below` (a table, notes) with `image` drawn above it, scaled to the terminal rows they leave,
    so the whole screen fits and nothing below scrolls away. No image where the console has no colour
    (a pipe: it would be noise) or fewer than MIN_PREVIEW_ROWS rows are left."""
    rows = console.height - rows_of(console, below) - SHELL_ROWS
    if image is None or console.color_system is None or rows < MIN_PREVIEW_ROWS:
        return Group(*below)
    return Group(image_preview(image, max_width=min(max_width, console.width), max_rows=rows), *below)


def comparison_table(comparison):
    """The compared prompts: the short one, then each expansion with its added modifiers coloured by
    category; the caption is the colour legend."""
    from rich.table import Table

    table = Table(title=f"» {comparison.prompt}   seeds {', '.join(map(str, comparison.seeds))}", title_justify="left", expand=False,
                  caption=expansions_legend(comparison.expansions) if any(e.added for e in comparison.expansions) else None,
                  caption_justify="left")
    table.add_column("column", style="dim", no_wrap=True)
    table.add_column("prompt")
    table.add_column("CLIP", justify="right", no_wrap=True)
    table.add_row("short", Text(comparison.prompt), "")
    for i, expansion in enumerate(comparison.expansions):
        table.add_row(f"expansion {i + 1}", expansion_text(expansion), budget_text(expansion))
    return table


def rendered_table(records: Sequence[dict], title: str = ""):
    """Written images: prompt, seed and file (records are ImageMetadata dicts with a 'path')."""
    from rich.table import Table

    table = Table(title=title or None, title_justify="left")
    table.add_column("#", style="dim", justify="right", no_wrap=True)
    table.add_column("prompt")
    table.add_column("seed", justify="right", no_wrap=True)
    table.add_column("file", style="cyan", overflow="fold")
    for i, record in enumerate(records):
        table.add_row(str(i + 1), record["prompt"], str(record["seed"]), record["path"])
    return table


def search_table(hits):
    """Search hits as a table: rank, score, prompt (modifiers dimmed)."""
    from rich.table import Table

    title = f"{len(hits)} similar prompts" + (f" · index {hits[0].index_name}" if hits else "")
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("score", justify="right")
    table.add_column("prompt", overflow="fold")
    for hit in hits:
        text = Text(hit.prompt)
        if hit.nsfw:
            text.append("  [nsfw]", style="bold red")
        table.add_row(str(hit.rank), f"{hit.score:.3f}", text)
    return table


def suggestions_table(suggestions, title: str | None = None):
    """Suggestions grouped by category (categories ordered by their best suggestion)."""
    from rich.table import Table

    table = Table(title=title or f"{len(suggestions)} suggested modifiers", show_lines=False)
    table.add_column("category", style="bold")
    table.add_column("modifier")
    table.add_column("score", justify="right")
    table.add_column("count", justify="right", style="dim")
    for group, items in group_by_category(list(suggestions)).items():
        style = CATEGORY_STYLES.get(group, "bold")
        for i, s in enumerate(items):
            table.add_row(group if i == 0 else "", Text(s.modifier, style=style), f"{s.score:.3f}", str(s.count))
    return table


def group_by_category(suggestions: list[Suggestion]) -> dict[str, list[Suggestion]]:
    """Suggestions per category, categories in the order of their best suggestion."""
    groups: dict[str, list[Suggestion]] = {}
    for suggestion in suggestions:
        groups.setdefault(suggestion.category, []).append(suggestion)
    return groups


# --- index manifests -------------------------------------------------------------------------

MANIFEST_FIRST = ("sources", "prompts", "modifiers", "embedder", "engine", "dtype", "keep_nsfw", "exclude_heldout", "cleaning",
                  "content_hash", "promptkit_version", "created", "build_seconds")


def manifest_value(value) -> str:
    """A manifest value as table text: numbers with separators, yes/no, dicts as `key value` pairs, a list a line."""
    import json

    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else manifest_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "\n".join(manifest_value(v) for v in value) or "-"
    return str(value)


def manifest_table(name: str, path, manifest: dict, size_bytes: int):
    """An index's manifest as a two-column table: the usual fields first, then any others it holds."""
    from rich.table import Table

    table = Table(title=f"index {name}", title_justify="left", show_header=False, expand=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    keys = [k for k in MANIFEST_FIRST if k in manifest] + [k for k in manifest if k not in MANIFEST_FIRST and k not in ("name", "ann")]
    for key in keys:
        table.add_row(key.replace("_", " "), Text(manifest_value(manifest[key])))
    ann = manifest.get("ann")
    table.add_row("search", f"approximate (usearch HNSW {ann.get('dtype', '')}, re-scored exactly)" if ann else "exact")
    table.add_row("size on disk", f"{size_bytes / 1e6:,.1f} MB")
    table.add_row("folder", Text(str(path)))
    return table
