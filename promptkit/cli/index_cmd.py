"""`promptkit index build|list|info|remove|lexicon`: manage prompt search indexes."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .common import cli_errors, stderr_console, stdout_console

app = typer.Typer(help="Build and manage prompt search indexes (used by search and suggest).", no_args_is_help=True)


def _progress_bar():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=stderr_console(), transient=False,
    )


def _callback(bar):
    tasks: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total, rate="")
        task = bar.tasks[tasks[phase]]
        elapsed = task.elapsed or 0.0
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 and phase != "read" else ""
        bar.update(tasks[phase], completed=done, total=total, rate=rate)

    return progress


@app.command("build")
def build(
    sources: list[str] = typer.Argument(..., help="Prompt datasets: csv/tsv/jsonl/parquet/txt files or hub dataset ids (e.g. Gustavosta/Stable-Diffusion-Prompts)."),
    name: str | None = typer.Option(None, "--name", "-n", help="Index name (default: the first source's file name)."),
    column: str | None = typer.Option(None, "--column", "-c", help="Prompt column (default: detected)."),
    embedder: str | None = typer.Option(None, "--embedder", "-e", help="sentence-transformers id or folder (default: all-MiniLM-L6-v2, offline)."),
    keep_nsfw: bool = typer.Option(False, "--keep-nsfw", help="Keep prompts matching the sexual/gore blocklist (flagged, hidden from search unless asked)."),
    exclude_heldout: float | None = typer.Option(None, "--exclude-heldout", help="Leave out this percent hash bucket (the one eval uses) to keep evaluation honest."),
    processes: int = typer.Option(1, "--processes", "-p", help="Encode with this many worker processes (sentence-transformers multi-process pool)."),
    exact: bool = typer.Option(False, "--exact", help="Plain float32 encoding without truncation (slower; the fast path is bf16, 77 tokens)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the same prompts and embedder were indexed already."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Build (or rebuild) an index: clean, de-duplicate, embed and save prompts atomically."""
    with cli_errors():
        from ..retrieval.index import Index

        with _progress_bar() as bar:
            try:
                result = Index.build(sources, name, column=column, embedder=embedder, keep_nsfw=keep_nsfw,
                                     exclude_heldout=exclude_heldout, processes=processes, fast=not exact,
                                     force=force, progress=_callback(bar))
            except KeyboardInterrupt:
                stderr_console().print("[bold red]Interrupted:[/] nothing written; the previous index (if any) is as it was.")
                raise typer.Exit(130) from None
        if as_json:
            typer.echo(json.dumps(result.to_dict()))
            return
        stats = result.stats
        verb = "Unchanged (same prompts and embedder), kept" if result.skipped else "Built"
        dropped = ", ".join(f"{getattr(stats, k):,} {label}" for k, label in (
            ("malformed", "malformed rows skipped"), ("empty", "empty"), ("duplicates", "duplicates"),
            ("nsfw_dropped", "NSFW dropped"), ("nsfw_kept", "NSFW kept (flagged)"), ("heldout_dropped", "held out")) if getattr(stats, k))
        stdout_console().print(
            f"{verb} index [bold]{result.index.name}[/]: {result.index.size:,} prompts, {len(result.index.vocab):,} modifiers, "
            f"embedder {result.index.embedder}, {result.seconds:.1f} s" + (f" ({stats.rows:,} rows read; {dropped})" if dropped else f" ({stats.rows:,} rows read)")
        )


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="One JSON object a line.")) -> None:
    """List built indexes, newest first (the newest is the default for search and suggest)."""
    with cli_errors():
        from ..retrieval.store import list_indexes

        infos = list_indexes()
        if as_json:
            for info in infos:
                typer.echo(json.dumps(info.to_dict()))
            return
        if not infos:
            stdout_console().print("No index built yet; build one with: promptkit index build PROMPTS.jsonl")
            return
        from rich.table import Table

        table = Table(title="indexes")
        for col in ("name", "prompts", "modifiers", "embedder", "size", "created"):
            table.add_column(col, justify="right" if col in ("prompts", "modifiers", "size") else "left")
        for i in infos:
            if i.error:
                table.add_row(i.name, "-", "-", "-", _mb(i.size_bytes), f"[red]broken: {i.error}[/]")
            else:
                table.add_row(i.name, f"{i.prompts:,}", f"{i.modifiers:,}", i.embedder, _mb(i.size_bytes), i.created)
        stdout_console(min_width=120).print(table)


@app.command("info")
def info(name: str = typer.Argument(..., help="Index name."), as_json: bool = typer.Option(False, "--json")) -> None:
    """Show an index's manifest: sources, embedder, sizes, cleaning counts."""
    with cli_errors():
        from ..retrieval.index import Index
        from ..retrieval.store import index_info

        summary = index_info(name)
        if summary.error:
            from ..core.errors import SearchIndexError

            raise SearchIndexError(summary.error)
        manifest = Index.load(name).manifest
        if as_json:
            typer.echo(json.dumps(manifest))
            return
        console = stdout_console()
        console.print(f"[bold]{name}[/]  {summary.path}")
        for key in ("sources", "prompts", "modifiers", "embedder", "dtype", "keep_nsfw", "exclude_heldout", "cleaning",
                    "content_hash", "promptkit_version", "created", "build_seconds"):
            console.print(f"  {key}: {manifest.get(key)}")
        console.print(f"  size on disk: {_mb(summary.size_bytes)}")


@app.command("remove")
def remove(name: str = typer.Argument(..., help="Index name.")) -> None:
    """Delete an index."""
    with cli_errors():
        from ..retrieval.store import remove_index

        path = remove_index(name)
        stdout_console().print(f"Removed index [bold]{name}[/] ({path}).")


@app.command("lexicon")
def lexicon(
    data: Path = typer.Argument(..., help="The public prompt data folder (podvodka-pairs, diffusiondb-*, lexica-modifier-counts, clip-interrogator-terms)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Where to write the lexicon (default: the shipped data/modifier-lexicon)."),
    embedder: str | None = typer.Option(None, "--embedder", "-e", help="sentence-transformers id or folder (default: all-MiniLM-L6-v2)."),
    max_modifiers: int = typer.Option(3000, "--max-modifiers", help="Keep this many of the most popular modifiers."),
    heldout_percent: float = typer.Option(10.0, "--heldout-percent", help="Leave this hash bucket out (the suggestion evaluation's)."),
) -> None:
    """Compute the shipped modifier lexicon (statistics, context vectors, categories; no prompt texts)."""
    with cli_errors():
        from ..training.lexicon import build_lexicon

        with _progress_bar() as bar:
            path = build_lexicon(data, out, embedder=embedder, max_modifiers=max_modifiers,
                                 heldout_percent=heldout_percent, progress=_callback(bar))
        stdout_console().print(f"Wrote the modifier lexicon to [bold]{path}[/].")


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
