"""Rich renderables for terminal previews: the user's words plain, each added modifier highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from .expansion.result import Expansion
from .retrieval.results import Suggestion

MODIFIER_STYLES = ("bold cyan", "bold magenta", "bold green", "bold yellow", "bold blue")


def expansion_text(expansion: Expansion) -> Text:
    """The expanded prompt with the original part plain and each added modifier in its own colour."""
    text = Text(expansion.prompt)
    separator = " " if expansion.prompt.rstrip().endswith(",") else ", "
    for i, modifier in enumerate(expansion.added):
        text.append(separator if i == 0 else ", ")
        text.append(modifier, style=MODIFIER_STYLES[i % len(MODIFIER_STYLES)])
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
    """A header naming prompt, seed and model, then each variant with its CLIP count."""
    if not expansions:
        return Group()
    first = expansions[0]
    parts = [Text.assemble(("» ", "bold"), (first.prompt, "bold"), (f"   seed {first.seed} · model {first.model}", "dim"))]
    for expansion in expansions:
        # The number is dim; the prompt and its modifiers keep their own styles (a styled line would dim them all).
        line = Text.assemble((f"{expansion.index + 1:>2}. ", "dim"), expansion_text(expansion))
        parts += [line, Text("    ").append_text(budget_text(expansion))]
    parts.append(Text(""))
    return Group(*parts)


# --- images in the terminal ----------------------------------------------------------------


class HalfBlockImage:
    """An image drawn with '▀' characters: each cell shows two pixels (foreground top, background
    bottom) in true colour; rich falls back to the nearest colours on simpler terminals."""

    def __init__(self, image, max_width: int = 100):
        self.image = image
        self.max_width = max_width

    def _scaled(self, columns: int):
        from PIL import Image

        image = self.image.convert("RGB")
        width = max(1, min(columns, self.max_width, image.width))
        height = max(2, round(image.height * width / image.width))
        height += height % 2  # two pixel rows per text row
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


def image_preview(image, max_width: int = 100) -> HalfBlockImage:
    return HalfBlockImage(image, max_width=max_width)


def comparison_table(comparison):
    """The compared prompts: the short one, then each expansion with its added modifiers highlighted."""
    from rich.table import Table

    table = Table(title=f"» {comparison.prompt}   seeds {', '.join(map(str, comparison.seeds))}", title_justify="left", expand=False)
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
    for number, (group, items) in enumerate(group_by_category(list(suggestions)).items()):
        style = MODIFIER_STYLES[number % len(MODIFIER_STYLES)]
        for i, s in enumerate(items):
            table.add_row(group if i == 0 else "", Text(s.modifier, style=style), f"{s.score:.3f}", str(s.count))
    return table


def group_by_category(suggestions: list[Suggestion]) -> dict[str, list[Suggestion]]:
    """Suggestions per category, categories in the order of their best suggestion."""
    groups: dict[str, list[Suggestion]] = {}
    for suggestion in suggestions:
        groups.setdefault(suggestion.category, []).append(suggestion)
    return groups
