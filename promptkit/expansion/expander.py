"""Expand prompts with one loaded prompt model: sample candidates, select coherent relevant modifiers, fit the CLIP budget."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

from ..core import config
from ..core.errors import InputError
from ..core.seeds import MAX_SEED, resolve_seed
from ..core.text import (
    CLIP_MAX_TOKENS,
    Blocklist,
    clip_token_count,
    dedupe_modifiers,
    join_prompt,
    split_modifiers,
    trim_to_budget,
    validate_prompt,
)
from ..modifiers.relevance import RelevanceModel, get_relevance
from ..modifiers.vocabulary import is_candidate
from .model import PromptModel, load_prompt_model
from .result import Expansion
from .sampling import ClipBudgetStop, sample
from .selection import SelectSettings, choose_variants, clean_modifiers, own_candidates
from .settings import ExpandSettings

# Our BPE and CLIP split prompt text into about as many tokens; the margin covers the difference.
BUDGET_TOKEN_MARGIN = 12
POOL_SIZE = 80  # relevance candidates considered per prompt, besides the variants' own
CANDIDATE_TOKENS = 24  # tokens the prompt model writes per variant when selection follows


class Expander:
    """Expands prompts with one loaded prompt model; reuse it to avoid reloading."""

    def __init__(self, prompt_model: PromptModel, relevance: RelevanceModel | None = None):
        self.prompt_model = prompt_model
        self._relevance = relevance

    @property
    def relevance(self) -> RelevanceModel:
        """The relevance model that selection uses: the one given, else `get_relevance()` (loaded once per folder)."""
        return self._relevance if self._relevance is not None else get_relevance()

    @classmethod
    def load(cls, name: str | Path | None = None) -> Expander:
        return cls(load_prompt_model(name))

    @property
    def name(self) -> str:
        return self.prompt_model.name

    def expand(self, prompt: str, seed: int | None = None, settings: ExpandSettings | None = None) -> list[Expansion]:
        """`settings.n` expansions of `prompt`; the same prompt, seed and settings give the same texts."""
        settings = (settings or ExpandSettings())
        return self.expand_valid(validate_prompt(prompt, settings.clip_budget), seed, settings)

    def expand_valid(self, prompt: str, seed: int | None, settings: ExpandSettings) -> list[Expansion]:
        """`expand` for a prompt that `validate_prompt(prompt, settings.clip_budget)` returned (not checked again)."""
        seed = resolve_seed(seed)
        steer = self._steer(prompt, settings)
        if not settings.min_modifiers:
            return self._raw(prompt, seed, settings, steer)
        # The model writes candidates here, selection fills the prompt: a few modifiers' worth is enough.
        candidates = replace(settings, max_new_tokens=min(settings.max_new_tokens, CANDIDATE_TOKENS))
        continuations = self._generate(join_prompt(prompt, steer), settings.n, seed, candidates)
        sampled = [clean_modifiers(text, finished) for text, finished in continuations]
        chosen = self._select(prompt, steer, sampled, seed, settings)
        return [self._expansion(prompt, [*steer, *keys], seed, index, settings, blocked=sum(settings.blocklist.matches(m) for m in own))
                for index, (keys, own) in enumerate(zip(chosen, sampled))]

    def _select(self, prompt: str, steer: list[str], sampled: list[list[str]], seed: int, settings: ExpandSettings) -> list[list[str]]:
        """Each variant's modifiers: its own and the relevance model's best, coherent and filled to the target."""
        relevance = self.relevance
        scores = relevance.prompt_scores(prompt)
        # checked again here: the vocabulary rules may be newer than the shipped model they were trained into
        ranked = (k for k in sorted(scores, key=lambda k: -scores[k]) if is_candidate(k) and not settings.blocklist.matches(k))
        pool = {k: scores[k] for k in itertools.islice(ranked, POOL_SIZE)}
        own = [own_candidates(modifiers, relevance.artists, settings.blocklist) for modifiers in sampled]
        for keys in own:
            pool.update({k: scores[k] for k in keys if k in scores and k not in pool})
        select = SelectSettings(target_tokens=settings.target_tokens, max_tokens=settings.clip_budget or CLIP_MAX_TOKENS,
                                temperature=settings.rerank_temperature, own_bonus=settings.own_bonus,
                                min_modifiers=settings.min_modifiers, max_modifiers=settings.max_modifiers, pool_size=POOL_SIZE)
        return choose_variants(join_prompt(prompt, steer), pool, own, seed, relevance.generic_set, select, relevance.implied)

    def _raw(self, prompt: str, seed: int, settings: ExpandSettings, steer: list[str]) -> list[Expansion]:
        """The model's own modifiers, cleaned and trimmed; empty variants are sampled again."""
        results: list[Expansion | None] = [None] * settings.n
        pending = list(range(settings.n))
        for attempt in range(settings.max_retries + 1):
            # A retry re-samples only the empty variants, from a seed derived from the call's seed.
            attempt_seed = (seed + attempt * 1_000_003) % (MAX_SEED + 1)
            continuations = self._generate(join_prompt(prompt, steer), len(pending), attempt_seed, settings)
            still_empty = []
            for index, (text, finished) in zip(pending, continuations):
                modifiers = clean_modifiers(text, finished)
                allowed = [m for m in modifiers if not settings.blocklist.matches(m)]
                added = dedupe_modifiers([*steer, *allowed], existing=split_modifiers(prompt))
                results[index] = self._expansion(prompt, added, seed, index, settings, blocked=len(modifiers) - len(allowed))
                if not results[index].added:
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
        rows = sample(self.prompt_model, ids, count, max_new, tokenizer.eos_token_id, settings, generator, stop)
        return [(tokenizer.decode(row, skip_special_tokens=True), finished) for row, finished in rows]

    def _expansion(self, prompt: str, added: list[str], seed: int, index: int, settings: ExpandSettings, blocked: int = 0) -> Expansion:
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
    length: str | int = ExpandSettings.length,
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

    Each variant keeps modifiers chosen from its own sampled ones and the relevance model's best
    for the prompt's subject, coherent with the prompt's medium, until the prompt reaches `length`
    CLIP tokens ("short", "medium", "long" or a number); `rerank_temperature` sets how much the
    variants differ. `min_modifiers=0` returns the prompt model's raw output.
    `suggest=k` > 0: retrieval-augmented expansion; the top k modifier suggestions (from `index`,
    default the most recent one, else the shipped lexicon) come first and steer the model.
    """
    settings = ExpandSettings(
        n=n, temperature=temperature, top_k=top_k, top_p=top_p, max_new_tokens=max_new_tokens, length=length,
        min_modifiers=min_modifiers, rerank_temperature=rerank_temperature, clip_budget=clip_budget, blocklist=blocklist or Blocklist(),
    )
    expander = get_expander(model)
    if suggest:
        from ..retrieval.suggest import get_suggester
        from .steering import SuggestExpander

        expander = SuggestExpander(expander, get_suggester(index), suggest)
    return expander.expand(prompt, seed=seed, settings=settings)
