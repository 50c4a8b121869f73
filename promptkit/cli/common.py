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

NO_INDEX = ("no index built yet; build one from your own prompts (a .txt file, one a line, or a csv/tsv/jsonl/parquet column): "
            "`promptkit index build my-prompts.txt`, or, when online, from a Hugging Face dataset: "
            "`promptkit index build Gustavosta/Stable-Diffusion-Prompts`")


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
    """A progress bar on stderr, a row per phase; yields the `progress(phase, done, total)` callback.

    Phases run one after another, so a phase starts when the one before last reported (or when the
    bar opened): its elapsed time and its rate (done / elapsed, shown for every phase but "read")
    cover the whole phase, not only the time since its first report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=stderr_console(), transient=False,
    ) as bar:
        tasks: dict[str, int] = {}
        starts: dict[str, float] = {}
        last_report = [bar.get_time()]

        def progress(phase: str, done: int, total: int) -> None:
            now = bar.get_time()
            if phase not in tasks:
                tasks[phase], starts[phase] = bar.add_task(phase, total=total, rate=""), last_report[0]
                for task in bar.tasks:  # rich's elapsed column counts from the phase's start too
                    if task.id == tasks[phase]:
                        task.start_time = starts[phase]
            last_report[0] = now
            elapsed = now - starts[phase]
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 and total > 1 and phase != "read" else ""
            bar.update(tasks[phase], completed=done, total=total, rate=rate)

        yield progress


def print_preview(console, image, max_width: int = 100) -> None:
    """Draw `image` in the terminal, scaled to fit its height; skipped where there is no colour (a pipe), as it would be noise."""
    from ..preview import fitted_screen

    console.print(fitted_screen(console, image, [], max_width=max_width))


def echo_json(data) -> None:
    import json

    typer.echo(printable(json.dumps(data, ensure_ascii=False)))  # json escapes C0 controls, not DEL or C1


def random_weights_text():
    from rich.text import Text

    return Text.assemble(("Random weights:", "bold red"), " this is a test pipeline; the images are noise.")
