"""`promptkit train`: train or fine-tune a GPT-2 prompt model on prompt datasets."""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import options as o
from .common import cli_errors, stderr_console, stdout_console


def train(
    sources: Annotated[list[str], typer.Argument(metavar="SOURCES", help="Dataset files (csv/tsv/jsonl/parquet/txt) or hub dataset ids.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FOLDER", help="Folder to write the model to (replaced only when training finishes).")],
    base: Annotated[str | None, typer.Option("--base", metavar="MODEL", show_default="from scratch",
                                             help="Fine-tune this model: 'embedded', a folder or a hub id (gpt2, distilgpt2).")] = None,
    size: Annotated[str, typer.Option("--size", metavar="SIZE", help="From-scratch size: micro, tiny or small.")] = "tiny",
    epochs: Annotated[float, typer.Option("--epochs", help="Passes over the training data.")] = 4.0,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Examples per step.")] = 32,
    learning_rate: Annotated[float | None, typer.Option("--lr", show_default="1e-3 from scratch, 1e-4 fine-tuning", help="Peak learning rate.")] = None,
    val_percent: Annotated[float, typer.Option("--val-percent", help="Percent of rows held out for validation (stable hash split).")] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for initialisation and data order.")] = 0,
    min_modifiers: Annotated[int, typer.Option("--min-modifiers", help="Drop examples with fewer modifier phrases than this.")] = 2,
    max_rows: Annotated[int | None, typer.Option("--max-rows", show_default="all", help="Read at most this many rows of each source.")] = None,
    no_bf16: Annotated[bool, typer.Option("--no-bf16", help="Train in float32 instead of bf16 autocast.")] = False,
    card_extra: Annotated[Path | None, typer.Option("--card-extra", metavar="PATH", show_default="none",
                                                    help="Markdown file appended to the model card (licences, attribution).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even when it exists and is not a promptkit prompt model (everything in it is lost).")] = False,
    as_json: o.Json = False,
) -> None:
    """Train a prompt model; writes config, tokenizer, model.safetensors and a model card."""
    with cli_errors():
        from ..core.datasets import read_text
        from ..training.prompt_model import TrainConfig
        from ..training.prompt_model import train as run_training

        config = TrainConfig(
            sources=sources, out=out, base=base, size=size, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, val_percent=val_percent, seed=seed, min_modifiers=min_modifiers,
            max_rows=max_rows, bf16=not no_bf16, card_extra=read_text(card_extra) if card_extra else "",
            force=force, command="promptkit train " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["train"] else "",
        )
        with _progress() as progress:
            try:
                result = run_training(config, progress)
            except KeyboardInterrupt:
                stderr_console().print(f"[bold red]Interrupted:[/] nothing written; '{out}' is as it was.")
                raise typer.Exit(130) from None
        if as_json:
            typer.echo(json.dumps(result.to_dict()))
            return
        val = f"{result.val_loss:.3f}" if result.val_loss is not None else "-"
        stdout_console().print(
            f"Wrote [bold]{result.out}[/]: {result.parameters:,} parameters, {result.train_examples:,} training / "
            f"{result.val_examples:,} validation examples, validation loss {val}, {result.seconds / 60:.1f} min."
        )


@contextlib.contextmanager
def _progress():
    """A progress bar on stderr; yields the callback training reports to."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]:.3f}"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=stderr_console(), transient=False,
    ) as bar:
        task = bar.add_task("train", total=None, loss=float("nan"))

        def progress(phase: str, done: int, total: int, figures: dict) -> None:
            if phase == "train":
                bar.update(task, completed=done, total=total, loss=figures["loss"])
            else:
                val = figures["val_loss"]
                bar.console.print(f"epoch {done}: train loss {figures['train_loss']:.3f}, validation loss " + (f"{val:.3f}" if val is not None else "-"))

        yield progress
