"""Shared CLI helpers: error handling, consoles, reading prompts from files or stdin."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.segment import Segment

from ..core.errors import InputError, PromptkitError
from ..core.text import printable


class SafeConsole(Console):
    """A console that shows control characters in the text it prints escaped (`\\x1b`), so a prompt,
    a dataset row or a file name can never clear the screen or set the window title; rich's own
    control codes (colours, cursor moves of progress bars) pass unchanged."""

    def _render_buffer(self, buffer) -> str:
        return super()._render_buffer(Segment(printable(text), style, control) if not control else Segment(text, style, control)
                                      for text, style, control in buffer)


def stdout_console(min_width: int | None = None) -> Console:
    """The console for results; tables get `min_width` columns even when piped (rich assumes 80)."""
    console = SafeConsole(soft_wrap=False, highlight=False)
    if min_width and not console.is_terminal and console.width < min_width:
        console = SafeConsole(soft_wrap=False, highlight=False, width=min_width)
    return console


def stderr_console() -> Console:
    return SafeConsole(stderr=True, highlight=False)


@contextlib.contextmanager
def cli_errors():
    """Turn promptkit errors and Ctrl-C into one line on stderr and a non-zero exit, never a traceback."""
    try:
        yield
    except PromptkitError as exc:
        from rich.markup import escape

        # escaped: a message may quote brackets (`pip install 'promptkit[ray]'`, a prompt) that are not markup
        stderr_console().print(f"[bold red]Error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        stderr_console().print("[bold red]Interrupted.[/]")
        raise typer.Exit(130) from None


def read_prompt_lines(file: Path | None, prompts: list[str] | None) -> list[str]:
    """Prompts from arguments, or one a line from --file (or '-' / piped stdin)."""
    if prompts and file is not None:
        raise InputError("pass prompts as arguments or with --file, not both")
    if prompts:
        return list(prompts)
    if file is not None and str(file) != "-":
        from ..core.datasets import read_lines

        try:
            lines = read_lines(file)
        except PromptkitError as exc:
            raise InputError(str(exc)) from None
        if not lines:
            raise InputError(f"'{file}' holds no prompts; write one prompt a line")
        return lines
    if file is not None or not sys.stdin.isatty():
        from ..core.datasets import MAX_PROMPT_FILE_BYTES, read_limited

        try:
            data = read_limited(sys.stdin.buffer, MAX_PROMPT_FILE_BYTES, "standard input")
        except PromptkitError as exc:
            raise InputError(str(exc)) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(f"standard input is not valid UTF-8 (bad byte at line {line}); re-encode it as UTF-8") from None
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines
    raise InputError('no prompt given; pass one, e.g. promptkit expand "a cat on a rainbow", or use --file')


@contextlib.contextmanager
def phase_progress():
    """A progress bar on stderr, a row per phase; yields the `progress(phase, done, total)` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=stderr_console(), transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total, rate="")
            elapsed = bar.tasks[tasks[phase]].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 and phase != "read" else ""
            bar.update(tasks[phase], completed=done, total=total, rate=rate)

        yield progress


def print_preview(console, image, max_width: int = 100) -> None:
    """Draw `image` in the terminal; skipped where there is no colour (a pipe), as it would be noise."""
    if console.color_system is None:
        return
    from ..preview import image_preview

    console.print(image_preview(image, max_width=min(max_width, console.width)))


def echo_json(data) -> None:
    import json

    typer.echo(printable(json.dumps(data, ensure_ascii=False)))  # json escapes C0 controls, not DEL or C1


def random_weights_note(console, random_weights: bool) -> None:
    if random_weights:
        console.print("[bold red]Random weights:[/] this is a test pipeline; the images are noise.")
