"""`promptkit topics`: an index's prompts grouped into topics, with labels, sizes, modifiers and examples."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import cli_errors, echo_json, stdout_console

TopicCount = Annotated[int | None, typer.Option("-k", "--k", metavar="K", show_default="chosen from the data", help="Number of topics (2-200).")]


def topics(
    index: Annotated[str | None, typer.Option("--index", "-i", metavar="NAME", show_default="the most recently built", help="Index to use.")] = None,
    k: TopicCount = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a topic (id, label, size, words, modifiers, examples).")] = False,
) -> None:
    """Group an index's prompts into topics: each labelled by its distinctive words, with its modifiers and three examples."""
    with cli_errors():
        from ..topicmap.topics import topics as find_topics

        found = find_topics(index, k)
        if as_json:
            for topic in found:
                echo_json(dict(topic.to_dict(), index=found.index_name))
            return
        stdout_console(min_width=120).print(_table(found))


def _table(found):
    from rich.table import Table

    how = "chosen from the data" if found.k_from_data else "as asked"
    table = Table(title=f"{len(found)} topics ({how}) over {found.prompts:,} prompts of '{found.index_name}'", show_lines=True)
    table.add_column("#", justify="right", style="dim")
    table.add_column("topic", style="bold")
    table.add_column("prompts", justify="right")
    table.add_column("distinctive modifiers")
    table.add_column("examples", ratio=1)
    for topic in found:
        modifiers = ", ".join(m for m, _ in topic.modifiers[:5]) or "-"
        table.add_row(str(topic.id + 1), topic.label, f"{topic.size:,}", modifiers, "\n".join(f"• {e}" for e in topic.examples))
    return table


