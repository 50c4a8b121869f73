"""`promptkit expand`: expand prompts with the GPT-2 prompt model."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..expansion.expander import ExpandSettings
from .common import cli_errors, read_prompt_lines, stdout_console

_DEFAULTS = ExpandSettings()


def expand(
    prompts: list[str] | None = typer.Argument(None, help="Prompts to expand (or use --file, or pipe them in)."),
    file: Path | None = typer.Option(None, "--file", "-f", help="Read prompts from a file, one a line ('-' for stdin)."),
    n: int = typer.Option(1, "--n", "-n", help="Variants per prompt (one batched call)."),
    seed: int | None = typer.Option(None, "--seed", "-s", help="Seed; the same seed and settings give the same texts. Drawn and shown if omitted."),
    model: str | None = typer.Option(None, "--model", "-m", help="'embedded' (default), a local model folder, or a hub id."),
    temperature: float = typer.Option(_DEFAULTS.temperature, "--temperature", "-t", help="Sampling temperature (> 0)."),
    top_k: int = typer.Option(_DEFAULTS.top_k, "--top-k", help="Sample from the k most likely tokens (0: off)."),
    top_p: float = typer.Option(_DEFAULTS.top_p, "--top-p", help="Nucleus sampling mass in (0, 1]."),
    max_new_tokens: int = typer.Option(_DEFAULTS.max_new_tokens, "--max-new-tokens", help="Most tokens the model may append."),
    modifiers: int = typer.Option(_DEFAULTS.min_modifiers, "--modifiers", help="Fewest modifiers each variant keeps after reranking by the modifier ranker (up to 10 when it is confident; 0: the model's raw output)."),
    rerank_temperature: float = typer.Option(_DEFAULTS.rerank_temperature, "--rerank-temperature", help="Randomness of the reranking (0: the most probable modifiers; higher: more varied variants)."),
    no_budget: bool = typer.Option(False, "--no-budget", help="Do not trim expansions to Stable Diffusion's 77 CLIP tokens."),
    block: list[str] | None = typer.Option(None, "--block", help="Extra term the expansion must not add (repeatable)."),
    block_regex: list[str] | None = typer.Option(None, "--block-regex", help="Extra regular expression the expansion must not add (repeatable)."),
    no_default_blocklist: bool = typer.Option(False, "--no-default-blocklist", help="Turn off the default sexual/gore blocklist."),
    suggest: bool = typer.Option(False, "--suggest", help="Retrieval-augmented: the top suggested modifiers come first and steer the model."),
    suggest_k: int = typer.Option(3, "--suggest-k", help="How many suggestions steer each expansion (with --suggest)."),
    index: str | None = typer.Option(None, "--index", "-i", help="Index the suggestions come from (default: the most recent, else the shipped lexicon)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object a line."),
    plain: bool = typer.Option(False, "--plain", help="Print only the expanded prompts, one a line."),
) -> None:
    """Expand short prompts into detailed Stable Diffusion prompts (your words first, modifiers appended)."""
    with cli_errors():
        from ..core.text import Blocklist
        from ..expansion.expander import get_expander, resolve_seed, validate_prompt

        texts = read_prompt_lines(file, prompts)
        settings = ExpandSettings(
            n=n, temperature=temperature, top_k=top_k, top_p=top_p, max_new_tokens=max_new_tokens,
            min_modifiers=modifiers, rerank_temperature=rerank_temperature, clip_budget=None if no_budget else _DEFAULTS.clip_budget,
            blocklist=Blocklist.build(block or (), block_regex or (), defaults=not no_default_blocklist),
        )
        for text in texts:  # check every prompt before loading the model or printing anything
            validate_prompt(text, settings.clip_budget)
        seed = resolve_seed(seed)
        expander = get_expander(model)
        if suggest:
            from ..expansion.steering import SuggestExpander
            from ..retrieval.suggest import get_suggester

            expander = SuggestExpander(expander, get_suggester(index), suggest_k)
        console = stdout_console()
        for text in texts:
            expansions = expander.expand(text, seed=seed, settings=settings)
            if as_json:
                for expansion in expansions:
                    typer.echo(json.dumps(expansion.to_dict(), ensure_ascii=False))
            elif plain:
                for expansion in expansions:
                    typer.echo(expansion.expanded)
            else:
                from ..preview import expansions_renderable

                console.print(expansions_renderable(expansions))
