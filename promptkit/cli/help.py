"""Help without Python types: typer prints `<bool>` after flags and `<list[str]>` after lists.

`Command` and `Group` replace each parameter's type label with its metavar, else a plain word
(INTEGER, NUMBER, TEXT, PATH), and drop it for flags and arguments (their name says enough).
"""

from __future__ import annotations

import functools

from typer.core import TyperCommand, TyperGroup

PANEL_USE = "Commands"
PANEL_BUILD = "Build and evaluate"
_WORDS = {"int": "INTEGER", "float": "NUMBER", "str": "TEXT", "Path": "PATH", "bool": None}


def type_label(param, ctx=None) -> str | None:
    """What the help shows after an option's name: its metavar, else a word; nothing for flags and arguments."""
    if getattr(param, "is_flag", False) or param.param_type_name != "option":
        return None
    if param.metavar:
        return param.metavar
    bare = param.bare_type() if hasattr(param, "bare_type") else "str"
    bare = bare.removeprefix("list[").removesuffix("]").removeprefix("typing.Optional[")
    return _WORDS.get(bare, "VALUE")


def _plain(params: list) -> list:
    for param in params:
        if "display_type_rich" not in vars(param):
            param.display_type_rich = functools.partial(type_label, param)
    return params


class Command(TyperCommand):
    def get_params(self, ctx):
        return _plain(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx):
        return _plain(super().get_params(ctx))
