"""`promptkit train`: train or fine-tune a GPT-2 prompt model on prompt datasets."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from .common import cli_errors, stderr_console, stdout_console


def train(
    sources: list[str] = typer.Argument(..., help="Dataset files (csv/tsv/jsonl/parquet/txt) or hub dataset ids."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the model to (replaced only when training finishes)."),
    base: str | None = typer.Option(None, "--base", help="Fine-tune this model: 'embedded', a folder or a hub id (gpt2, distilgpt2). Default: from scratch."),
    size: str = typer.Option("tiny", "--size", help="From-scratch size: micro, tiny or small."),
    epochs: float = typer.Option(4.0, "--epochs", help="Passes over the training data."),
    batch_size: int = typer.Option(32, "--batch-size", help="Examples per step."),
    learning_rate: float | None = typer.Option(None, "--lr", help="Peak learning rate (default 1e-3 from scratch, 1e-4 fine-tuning)."),
    val_percent: float = typer.Option(10.0, "--val-percent", help="Percent of rows held out for validation (stable hash split)."),
    seed: int = typer.Option(0, "--seed", help="Seed for initialisation and data order."),
    min_modifiers: int = typer.Option(2, "--min-modifiers", help="Drop examples with fewer modifier phrases than this."),
    max_rows: int | None = typer.Option(None, "--max-rows", help="Read at most this many rows of each source."),
    no_bf16: bool = typer.Option(False, "--no-bf16", help="Train in float32 instead of bf16 autocast."),
    card_extra: Path | None = typer.Option(None, "--card-extra", help="Markdown file appended to the model card (licences, attribution)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train a prompt model; writes config, tokenizer, model.safetensors and a model card."""
    with cli_errors():
        from ..training.prompt_model import TrainConfig
        from ..training.prompt_model import train as run_training

        extra = _read_card_extra(card_extra)
        config = TrainConfig(
            sources=sources, out=out, base=base, size=size, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, val_percent=val_percent, seed=seed, min_modifiers=min_modifiers,
            max_rows=max_rows, bf16=not no_bf16, card_extra=extra,
            command="promptkit train " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["train"] else "",
        )
        err = stderr_console()
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        with Progress(
            TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]:.3f}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=False,
        ) as bar:
            task = bar.add_task("train", total=None, loss=float("nan"))

            def progress(phase: str, done: int, total: int, figures: dict) -> None:
                if phase == "train":
                    bar.update(task, completed=done, total=total, loss=figures["loss"])
                else:
                    val = figures["val_loss"]
                    bar.console.print(f"epoch {done}: train loss {figures['train_loss']:.3f}, validation loss " + (f"{val:.3f}" if val is not None else "-"))

            try:
                result = run_training(config, progress)
            except KeyboardInterrupt:
                err.print(f"[bold red]Interrupted:[/] nothing written; '{out}' is as it was.")
                raise typer.Exit(130) from None
        if as_json:
            typer.echo(json.dumps(result.to_dict()))
        else:
            val = f"{result.val_loss:.3f}" if result.val_loss is not None else "-"
            stdout_console().print(
                f"Wrote [bold]{result.out}[/]: {result.parameters:,} parameters, {result.train_examples:,} training / "
                f"{result.val_examples:,} validation examples, validation loss {val}, {result.seconds / 60:.1f} min."
            )


def _read_card_extra(path: Path | None) -> str:
    if path is None:
        return ""
    from ..core.datasets import read_text

    return read_text(path)
