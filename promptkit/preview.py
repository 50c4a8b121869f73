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
