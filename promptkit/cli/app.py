"""The `promptkit` typer application; each command lives in its own module.

The commands a user came for are listed first; building models and indexes and measuring them
sit in their own help panel.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..core.version import __version__
from . import (
    atlas_cmd,
    compare_cmd,
    eval_cmd,
    eval_suggest_cmd,
    expand_cmd,
    index_cmd,
    info_cmd,
    render_cmd,
    reproduce_cmd,
    search_cmd,
    suggest_cmd,
    topics_cmd,
    train_cmd,
    train_embedder_cmd,
    train_ranker_cmd,
    train_relevance_cmd,
)
from .help import PANEL_BUILD, PANEL_USE, Command, Group

app = typer.Typer(
    name="promptkit",
    help="Prompt engineering for text-to-image models: expand short prompts, suggest modifiers, search prompts, "
    "render and compare them with Stable Diffusion.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)
USE = {"expand": expand_cmd.expand, "suggest": suggest_cmd.suggest, "search": search_cmd.search,
       "topics": topics_cmd.topics, "atlas": atlas_cmd.atlas, "compare": compare_cmd.compare,
       "render": render_cmd.render, "reproduce": reproduce_cmd.reproduce, "info": info_cmd.info}
BUILD = {"train": train_cmd.train, "train-ranker": train_ranker_cmd.train_ranker, "train-relevance": train_relevance_cmd.train_relevance,
         "train-embedder": train_embedder_cmd.train_embedder,
         "eval": eval_cmd.evaluate,
         "eval-suggest": eval_suggest_cmd.eval_suggest}
for _name, _function in USE.items():
    app.command(_name, cls=Command, rich_help_panel=PANEL_USE)(_function)
app.add_typer(index_cmd.app, name="index", rich_help_panel=PANEL_USE)
for _name, _function in BUILD.items():
    app.command(_name, cls=Command, rich_help_panel=PANEL_BUILD)(_function)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"promptkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False) -> None:
    """Prompt engineering for text-to-image models."""


def main() -> None:
    app(prog_name="promptkit")
