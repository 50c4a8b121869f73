"""The `promptkit` typer application; each command lives in its own module."""

from __future__ import annotations

import typer

from ..core.version import __version__
from . import (
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
    train_cmd,
    train_ranker_cmd,
)

app = typer.Typer(
    name="promptkit",
    help="Prompt engineering for text-to-image models: expand short prompts, suggest modifiers, search prompts, "
    "render and compare them with Stable Diffusion.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("expand")(expand_cmd.expand)
app.command("train")(train_cmd.train)
app.command("train-ranker")(train_ranker_cmd.train_ranker)
app.command("eval")(eval_cmd.evaluate)
app.command("render")(render_cmd.render)
app.command("compare")(compare_cmd.compare)
app.command("reproduce")(reproduce_cmd.reproduce)
app.command("info")(info_cmd.info)
app.add_typer(index_cmd.app, name="index")
app.command("search")(search_cmd.search)
app.command("suggest")(suggest_cmd.suggest)
app.command("eval-suggest")(eval_suggest_cmd.eval_suggest)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"promptkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit.")) -> None:
    """Prompt engineering for text-to-image models."""


def main() -> None:
    app(prog_name="promptkit")
