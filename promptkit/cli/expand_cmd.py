"""`promptkit expand`: expand prompts with the GPT-2 prompt model."""

from __future__ import annotations

from typing import Annotated

import typer

from ..core.text import printable
from ..expansion.settings import ExpandSettings
from . import options as o
from .common import cli_errors, echo_json, read_prompt_lines, stdout_console

_DEFAULTS = ExpandSettings()


def expand(
    prompts: o.Prompts = None,
    file: o.PromptFile = None,
    n: o.Variants = 1,
    seed: o.Seed = None,
    model: o.PromptModel = None,
    temperature: o.Temperature = _DEFAULTS.temperature,
    top_k: o.TopK = _DEFAULTS.top_k,
    top_p: o.TopP = _DEFAULTS.top_p,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", help="Most tokens the model may append.")] = _DEFAULTS.max_new_tokens,
    length: o.Length = _DEFAULTS.length,
    raw: o.Raw = False,
    min_modifiers: o.MinModifiers = _DEFAULTS.min_modifiers,
    old_modifiers: o.OldModifiers = None,
    rerank_temperature: o.RerankTemperature = _DEFAULTS.rerank_temperature,
    no_budget: Annotated[bool, typer.Option("--no-budget", help="Do not trim expansions to Stable Diffusion's 77 CLIP tokens.")] = False,
    block: Annotated[list[str] | None, typer.Option("--block", metavar="TEXT", show_default="none", help="Extra term the expansion must not add (repeatable).")] = None,
    block_regex: Annotated[list[str] | None, typer.Option("--block-regex", metavar="REGEX", show_default="none",
                                                          help="Extra regular expression the expansion must not add (repeatable).")] = None,
    no_default_blocklist: Annotated[bool, typer.Option("--no-default-blocklist", help="Turn off the default sexual/gore blocklist.")] = False,
    suggest: o.Suggest = False,
    suggest_k: o.SuggestK = 3,
    index: o.IndexName = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object a line.")] = False,
    plain: Annotated[bool, typer.Option("--plain", help="Print only the expanded prompts, one a line.")] = False,
) -> None:
    """Expand short prompts into detailed Stable Diffusion prompts (your words first, modifiers appended)."""
    with cli_errors():
        from ..core.text import Blocklist

        texts = read_prompt_lines(file, prompts)
        settings = ExpandSettings(
            n=n, temperature=temperature, top_k=top_k, top_p=top_p, max_new_tokens=max_new_tokens,
            length=o.length(length), min_modifiers=o.min_modifiers(min_modifiers, old_modifiers, raw), rerank_temperature=rerank_temperature,
            clip_budget=None if no_budget else _DEFAULTS.clip_budget,
            blocklist=Blocklist.build(block or (), block_regex or (), defaults=not no_default_blocklist),
        )
        for expansions in _expand_all(texts, seed, model, settings, suggest_k if suggest else 0, index):
            _show(expansions, as_json, plain)


def _show(expansions, as_json: bool, plain: bool) -> None:
    if as_json:
        for expansion in expansions:
            echo_json(expansion.to_dict())
    elif plain:
        for expansion in expansions:
            typer.echo(printable(expansion.expanded))
    else:
        from ..preview import expansions_renderable

        stdout_console().print(expansions_renderable(expansions))


def _expand_all(texts: list[str], seed: int | None, model: str | None, settings: ExpandSettings, suggest_k: int, index: str | None):
    """Each prompt's expansions, one seed for all; every prompt is checked before the model loads."""
    from ..core.seeds import resolve_seed
    from ..core.text import validate_prompt
    from ..expansion.expander import get_expander

    texts = [validate_prompt(text, settings.clip_budget) for text in texts]  # once, here: expand_valid trusts them
    seed = resolve_seed(seed)
    expander = get_expander(model)
    if suggest_k:
        from ..expansion.steering import SuggestExpander
        from ..retrieval.suggest import get_suggester

        expander = SuggestExpander(expander, get_suggester(index), suggest_k)
    for text in texts:
        yield expander.expand_valid(text, seed, settings)
