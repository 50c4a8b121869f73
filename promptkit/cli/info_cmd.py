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
            value = f"{setting['value']} [dim]({setting['source']})[/]" if isinstance(setting, dict) else str(setting)
            table.add_row(name.replace("_", " "), value)
        for name, location in data["locations"].items():
            table.add_row(name.replace("_", " "), str(location) if location is not None else "[dim]-[/]")
        stdout_console().print(table)
