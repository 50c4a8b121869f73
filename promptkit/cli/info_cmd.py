"""`promptkit info`: versions, device, model settings and locations, for bug reports."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .common import cli_errors, stdout_console


def info(as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Show versions, the device renders would use, model settings, and data and cache locations."""
    with cli_errors():
        from ..core.sysinfo import system_info

        data = system_info()
        if as_json:
            typer.echo(json.dumps(data))
            return
        stdout_console().print(_table(data))


def _table(data: dict):
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("promptkit", data["promptkit"])
    table.add_row("python", f"{data['python']} ({data['platform']})")
    for name, version in data["packages"].items():
        table.add_row(name, version or "[dim]not installed[/]")
    device = data["device"]
    gpu = f" · {device['gpu']} ×{device['gpu_count']} (CUDA {device['cuda_version']})" if device["cuda"] else " · no CUDA GPU"
    table.add_row("device", f"{device['default_device']} {device['default_dtype']}{gpu} · {device['cpu_threads']} CPU threads")
    for name, setting in data["settings"].items():
        table.add_row(name.replace("_", " "), _value(setting))
        if name == "render_model":
            table.add_row("render model cache", _cache_note(setting))
    for name, location in data["locations"].items():
        table.add_row(name.replace("_", " "), _value(location) if location is not None else "[dim]-[/]")
    return table


CACHE_NOTES = {
    "cached": "[green]in the local Hugging Face cache[/] (renders offline)",
    "partial": "[yellow]partly downloaded[/]; finish it with: {command}",
    "missing": "[yellow]not downloaded[/]; the first render fetches it (about 5 GB), or: {command}",
    "local folder": "a local folder", "local file": "a local checkpoint", "missing path": "[red]the path does not exist[/]",
}


def _cache_note(setting: dict) -> str:
    from rich.markup import escape

    from ..core.hf import download_command

    note = CACHE_NOTES.get(setting["cache"], escape(setting["cache"]))
    return note.format(command=escape(download_command(setting["value"]))) if "{command}" in note else note


def _value(setting) -> str:
    from rich.markup import escape

    if isinstance(setting, dict):
        return f"{escape(str(setting['value']))} [dim]({setting['source']})[/]"
    return escape(str(setting))
