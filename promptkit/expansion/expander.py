"""Expand prompts with one loaded prompt model: sample, clean, rerank, trim to the CLIP budget."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from ..core import config
from ..core.errors import InputError
from ..core.seeds import MAX_SEED, resolve_seed
from ..core.text import (
    CLIP_MAX_TOKENS,
    Blocklist,
    already_in_prompt,
    clip_token_count,
    dedupe_modifiers,
    join_prompt,
    split_modifiers,
    trim_to_budget,
    validate_prompt,
)
from .model import PromptModel, load_prompt_model
from .result import Expansion
from .sampling import ClipBudgetStop, sample
from .selection import RankerPool, choose_modifiers, clean_modifiers
from .settings import ExpandSettings

# Our BPE and CLIP split prompt text into about as many tokens; the margin covers the difference.
BUDGET_TOKEN_MARGIN = 12


class Expander:
    """Expands prompts with one loaded prompt model; reuse it to avoid reloading."""

    def __init__(self, prompt_model: PromptModel, ranker=None):
        self.prompt_model = prompt_model
        self._ranker = ranker

    @property
    def ranker(self):
        """The modifier ranker used for reranking: the one given, else the shipped one (loaded once)."""
        if self._ranker is None:
            from ..modifiers.ranker import get_ranker

            self._ranker = get_ranker()
        return self._ranker

    @classmethod
    def load(cls, name: str | Path | None = None) -> Expander:
        return cls(load_prompt_model(name))

    @property
    def name(self) -> str:
        return self.prompt_model.name

    def expand(self, prompt: str, seed: int | None = None, settings: ExpandSettings | None = None) -> list[Expansion]:
        """`settings.n` expansions of `prompt`; the same prompt, seed and settings give the same texts."""
        settings = (settings or ExpandSettings())
        prompt = validate_prompt(prompt, settings.clip_budget)
        seed = resolve_seed(seed)
        steer = self._steer(prompt, settings)
        context = join_prompt(prompt, steer)
        pool = self._ranker_pool(prompt, settings)
        results: list[Expansion | None] = [None] * settings.n
        pending = list(range(settings.n))
        for attempt in range(settings.max_retries + 1):
            # A retry re-samples only the empty variants, from a seed derived from the call's seed.
            attempt_seed = (seed + attempt * 1_000_003) % (MAX_SEED + 1)
            continuations = self._generate(context, len(pending), attempt_seed, settings)
            still_empty = []
            for index, (text, finished) in zip(pending, continuations):
                expansion = self._clean(prompt, text, finished, seed, index, settings, steer, pool)
                results[index] = expansion
                if not expansion.added:
                    still_empty.append(index)
            pending = still_empty
            if not pending:
                break
        return [r for r in results if r is not None]

    @staticmethod
    def _steer(prompt: str, settings: ExpandSettings) -> list[str]:
        """The steering modifiers that are new, allowed, and leave room in the CLIP budget."""
        allowed = [m for m in settings.steer if not settings.blocklist.matches(m)]
        fresh = dedupe_modifiers(allowed, existing=split_modifiers(prompt))
        if settings.clip_budget is None:
            return fresh
        # Keep a few tokens free for the model's own additions.
        return trim_to_budget(prompt, fresh, max(clip_token_count(prompt) + 1, settings.clip_budget - 8))

    def _generate(self, prompt: str, count: int, seed: int, settings: ExpandSettings) -> list[tuple[str, bool]]:
        """`count` sampled continuations from one batched sampling loop, and whether each ended on its own."""
        import torch

        tokenizer = self.prompt_model.tokenizer
        model = self.prompt_model.model
        # End the prompt with a comma so the model starts a fresh modifier.
        context = prompt if prompt.endswith(",") else prompt + ","
        prefix = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
        ids = prefix + tokenizer(context, add_special_tokens=False).input_ids
        max_new = settings.max_new_tokens
        room = 0
        if settings.clip_budget is not None:
            room = settings.clip_budget - clip_token_count(prompt)
            max_new = min(max_new, room + BUDGET_TOKEN_MARGIN)
        max_new = min(max_new, self.prompt_model.max_positions - len(ids))
        if max_new < 1:
            raise InputError("prompt fills the prompt model's whole context; shorten it")
        stop = ClipBudgetStop(tokenizer, room) if settings.clip_budget is not None else None
        generator = torch.Generator().manual_seed(seed)
        rows = sample(model, ids, count, max_new, tokenizer.eos_token_id, settings, generator, stop)
        return [(tokenizer.decode(row, skip_special_tokens=True), finished) for row, finished in rows]

    def _ranker_pool(self, prompt: str, settings: ExpandSettings) -> RankerPool | None:
        """The ranker's probabilities for this prompt and its top candidates (None without reranking)."""
        if not settings.min_modifiers:
            return None
        ranker = self.ranker
        probs = ranker.probabilities(prompt)
        present = already_in_prompt(prompt)
        top = [m for m, _ in ranker.ranked(probs, 4 * settings.max_modifiers) if not present(m) and not settings.blocklist.matches(m)]
        floor = float(probs.min())  # a modifier the ranker does not know is at most as likely as its least likely
        return RankerPool(top=top, probability=lambda m: float(probs[ranker.positions[m]]) if m in ranker.positions else floor)

    def _clean(self, prompt: str, text: str, finished: bool, seed: int, index: int, settings: ExpandSettings,
               steer: Sequence[str] = (), pool: RankerPool | None = None) -> Expansion:
        modifiers = clean_modifiers(text, finished)
        allowed = [m for m in modifiers if not settings.blocklist.matches(m)]
        blocked = len(modifiers) - len(allowed)
        added = dedupe_modifiers([*steer, *allowed], existing=split_modifiers(prompt))
        if pool is not None:
            rng = random.Random(f"{seed}:{index}")
            kept_steer = added[: len(steer)]
            existing = [*split_modifiers(prompt), *kept_steer]
            added = [*kept_steer, *choose_modifiers(added[len(steer):], pool, settings, rng, existing, reserved=len(steer))]
        kept = trim_to_budget(prompt, added, settings.clip_budget) if settings.clip_budget else added
        expanded = join_prompt(prompt, kept)
        return Expansion(
            prompt=prompt,
            expanded=expanded,
            added=tuple(kept),
            seed=seed,
            model=self.name,
            clip_tokens=clip_token_count(expanded),
            index=index,
            clip_budget=settings.clip_budget,
            trimmed=len(added) - len(kept),
            blocked=blocked,
        )


_EXPANDERS: dict[str, Expander] = {}


def get_expander(model: str | Path | None = None) -> Expander:
    key = str(model) if model is not None else config.default_model()
    if key not in _EXPANDERS:
        _EXPANDERS[key] = Expander.load(key)
    return _EXPANDERS[key]


def expand(
    prompt: str,
    n: int = 1,
    seed: int | None = None,
    *,
    model: str | Path | None = None,
    temperature: float = ExpandSettings.temperature,
    top_k: int = ExpandSettings.top_k,
    top_p: float = ExpandSettings.top_p,
    max_new_tokens: int = ExpandSettings.max_new_tokens,
    min_modifiers: int = ExpandSettings.min_modifiers,
    rerank_temperature: float = ExpandSettings.rerank_temperature,
    clip_budget: int | None = CLIP_MAX_TOKENS,
    blocklist: Blocklist | None = None,
    suggest: int = 0,
    index: str | None = None,
) -> list[Expansion]:
    """Expand `prompt` into `n` detailed variants (the prompt kept verbatim at the start of each).

    Each variant keeps at least `min_modifiers` (and at most 10) of its own sampled modifiers and the
    modifier ranker's top ones: those the ranker finds likely, chosen with seeded noise of scale
    `rerank_temperature` (see `ExpandSettings`); `min_modifiers=0` returns the prompt model's raw output.
    `suggest=k` > 0: retrieval-augmented expansion; the top k modifier suggestions (from `index`,
    default the most recent one, else the shipped lexicon) come first and steer the model.
    """
    settings = ExpandSettings(
        n=n, temperature=temperature, top_k=top_k, top_p=top_p, max_new_tokens=max_new_tokens,
        min_modifiers=min_modifiers, rerank_temperature=rerank_temperature, clip_budget=clip_budget, blocklist=blocklist or Blocklist(),
    )
    expander = get_expander(model)
    if suggest:
        from ..retrieval.suggest import get_suggester
        from .steering import SuggestExpander

        expander = SuggestExpander(expander, get_suggester(index), suggest)
    return expander.expand(prompt, seed=seed, settings=settings)
