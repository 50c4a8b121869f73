"""`promptkit index build|list|info|remove|lexicon`: manage prompt search indexes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import NO_INDEX, cli_errors, phase_progress, stderr_console, stdout_console
from .help import PANEL_BUILD, Command, Group

app = typer.Typer(help="Build and manage prompt search indexes (used by search and suggest).", no_args_is_help=True, cls=Group)
IndexArg = Annotated[str, typer.Argument(metavar="NAME", help="Index name.")]
JsonLines = Annotated[bool, typer.Option("--json", help="Print JSON.")]
IndexEmbedder = Annotated[str | None, typer.Option("--embedder", "-e", metavar="MODEL", show_default="static-minilm, or PROMPTKIT_EMBEDDER",
                                                   help="static-minilm (shipped, ~150x plain MiniLM encoding), all-MiniLM-L6-v2, or any sentence-transformers id or folder.")]


@app.command("build", cls=Command)
def build(
    sources: Annotated[list[str], typer.Argument(metavar="SOURCES", help="Prompt datasets: csv/tsv/jsonl/parquet/txt files or hub dataset ids (e.g. Gustavosta/Stable-Diffusion-Prompts).")],
    name: Annotated[str | None, typer.Option("--name", metavar="NAME", show_default="the first source's file name", help="Index name.")] = None,
    column: Annotated[str | None, typer.Option("--column", "-c", metavar="COLUMN", show_default="detected", help="Prompt column.")] = None,
    embedder: IndexEmbedder = None,
    keep_nsfw: Annotated[bool, typer.Option("--keep-nsfw", help="Keep prompts matching the sexual/gore blocklist (flagged, hidden from search unless asked).")] = False,
    exclude_heldout: Annotated[float | None, typer.Option("--exclude-heldout", metavar="PERCENT", show_default="none",
                                                          help="Leave out this percent hash bucket (the one eval uses) to keep evaluation honest.")] = None,
    processes: Annotated[int, typer.Option("--processes", "-p", help="Encode with this many worker processes (sentence-transformers embedders; the static one needs none).")] = 1,
    exact: Annotated[bool, typer.Option("--exact", help="Plain float32 encoding without truncation (sentence-transformers embedders; the fast path is bf16, 77 tokens).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when the same prompts and embedder were indexed already.")] = False,
    ray: o.Ray = False,
    ray_address: o.RayAddress = None,
    as_json: JsonLines = False,
) -> None:
    """Build (or rebuild) an index: clean, de-duplicate, embed and save prompts atomically."""
    with cli_errors():
        from ..retrieval.index import Index

        with phase_progress() as progress:
            try:
                result = Index.build(sources, name, column=column, embedder=embedder, keep_nsfw=keep_nsfw,
                                     exclude_heldout=exclude_heldout, processes=processes, fast=not exact,
                                     force=force, progress=progress, ray=ray_address or ray)
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


@app.command("list", cls=Command)
def list_(as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False) -> None:
    """List built indexes, newest first (the newest is the default for search and suggest)."""
    with cli_errors():
        from ..retrieval.store import list_indexes

        infos = list_indexes()
        if as_json:
            for info in infos:
                typer.echo(json.dumps(info.to_dict()))
            return
        if not infos:
            stdout_console().print(NO_INDEX[0].upper() + NO_INDEX[1:] + ".", markup=False, soft_wrap=True)
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


@app.command("info", cls=Command)
def info(name: IndexArg, as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as one JSON object.")] = False) -> None:
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
        from ..preview import manifest_table

        stdout_console().print(manifest_table(name, summary.path, manifest, summary.size_bytes))


@app.command("remove", cls=Command)
def remove(name: IndexArg) -> None:
    """Delete an index."""
    with cli_errors():
        from ..retrieval.store import remove_index

        path = remove_index(name)
        stdout_console().print(f"Removed index [bold]{name}[/] ({path}).")


@app.command("lexicon", cls=Command, rich_help_panel=PANEL_BUILD)
def lexicon(
    data: Annotated[Path, typer.Argument(metavar="DATA", help="The public prompt data folder (podvodka-pairs, diffusiondb-*, lexica-modifier-counts, clip-interrogator-terms).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FOLDER", show_default="the shipped data/modifier-lexicon", help="Where to write the lexicon.")] = None,
    embedder: o.Embedder = None,
    max_modifiers: Annotated[int, typer.Option("--max-modifiers", help="Keep this many of the most popular modifiers.")] = 3000,
    heldout_percent: o.HeldoutPercent = 10.0,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even when it exists and is not a promptkit lexicon (everything in it is lost).")] = False,
) -> None:
    """Compute the shipped modifier lexicon (statistics, context vectors, categories; no prompt texts)."""
    with cli_errors():
        from ..training.lexicon import build_lexicon

        with phase_progress() as progress:
            path = build_lexicon(data, out, embedder=embedder, max_modifiers=max_modifiers,
                                 heldout_percent=heldout_percent, progress=progress, force=force)
        stdout_console().print(f"Wrote the modifier lexicon to [bold]{path}[/].")


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
