"""Retrieval-augmented expansion: the top suggested modifiers come first and steer the prompt model."""

from __future__ import annotations

from dataclasses import replace

from ..core.errors import InputError
from ..retrieval.suggest import Suggester
from .settings import ExpandSettings


class SuggestExpander:
    """An expander steered by suggestions: the top `k` suggested modifiers first, then the model's."""

    def __init__(self, expander, suggester: Suggester, k: int = 3):
        if not 1 <= k <= 20:
            raise InputError(f"suggest count must be between 1 and 20, got {k}; pass e.g. --suggest-k 3")
        self.expander = expander
        self.suggester = suggester
        self.k = k

    @property
    def name(self) -> str:
        return f"{self.expander.name}+suggest{self.k}"

    def expand(self, prompt: str, seed: int | None = None, settings=None):
        settings = settings or ExpandSettings()
        steer = tuple(s.modifier for s in self.suggester.suggest(prompt, self.k))
        return self.expander.expand(prompt, seed=seed, settings=replace(settings, steer=steer))

    def expand_valid(self, prompt: str, seed: int | None, settings):
        """`expand` for a prompt `validate_prompt` already accepted."""
        steer = tuple(s.modifier for s in self.suggester.suggest(prompt, self.k))
        return self.expander.expand_valid(prompt, seed, replace(settings, steer=steer))
