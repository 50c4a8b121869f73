"""Rich renderables for terminal previews: the user's words plain, each added modifier highlighted."""

from __future__ import annotations

from typing import Sequence

from rich.console import Group
from rich.text import Text

from .types import Expansion

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
        line = Text(f"{expansion.index + 1:>2}. ", style="dim")
        line.append_text(expansion_text(expansion))
        parts += [line, Text("    ").append_text(budget_text(expansion))]
    parts.append(Text(""))
    return Group(*parts)


def search_table(hits):
    """Search hits as a table: rank, score, prompt (modifiers dimmed)."""
    from rich.table import Table

    title = f"{len(hits)} similar prompts" + (f" · index {hits[0].index}" if hits else "")
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

    from .suggest import group_by_category

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
