"""Settings of one expand call; they validate themselves on creation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core.errors import InputError
from ..core.text import CLIP_MAX_TOKENS, Blocklist

LENGTHS = {"short": 26, "medium": 41, "long": 58}  # CLIP-token targets; detailed real prompts average ~42

MAX_VARIANTS = 64


@dataclass(frozen=True)
class ExpandSettings:
    """Sampling and clean-up settings for one expand call (the seed travels separately)."""

    n: int = 1
    temperature: float = 0.8
    top_k: int = 50
    top_p: float = 0.95
    max_new_tokens: int = 64
    clip_budget: int | None = CLIP_MAX_TOKENS  # None: do not trim
    max_retries: int = 3
    blocklist: Blocklist = field(default_factory=Blocklist)
    # Retrieval-augmented expansion: these modifiers (e.g. top suggestions) come first and the
    # model continues after them, so what it adds is steered by what similar prompts use.
    steer: tuple[str, ...] = ()
    # Selection (promptkit/expansion/selection.py): each variant keeps modifiers chosen from its own
    # sampled ones and the relevance model's best for the prompt's subject, coherent with its
    # medium, until the prompt reaches `length` CLIP tokens ("short", "medium", "long" or a number).
    # `rerank_temperature` is the seeded noise that makes variants differ; `own_bonus` favours the
    # model's own picks. min_modifiers=0 returns the model's raw output with no selection.
    min_modifiers: int = 4
    max_modifiers: int = 16
    length: str | int = "medium"
    rerank_temperature: float = 0.8
    own_bonus: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.n <= MAX_VARIANTS:
            raise InputError(f"n must be between 1 and {MAX_VARIANTS}, got {self.n}; pass e.g. --n 4")
        if not (self.temperature > 0 and math.isfinite(self.temperature)):
            raise InputError(f"temperature must be a finite number greater than 0, got {self.temperature}; pass e.g. --temperature 0.8")
        if self.top_k < 0:
            raise InputError(f"top-k must be 0 (off) or positive, got {self.top_k}; pass e.g. --top-k 50")
        if not 0 < self.top_p <= 1:
            raise InputError(f"top-p must be in (0, 1], got {self.top_p}; pass e.g. --top-p 0.95")
        if self.max_new_tokens < 1:
            raise InputError(f"max new tokens must be at least 1, got {self.max_new_tokens}; pass e.g. --max-new-tokens 64")
        if self.clip_budget is not None and not 3 <= self.clip_budget <= CLIP_MAX_TOKENS:
            raise InputError(f"CLIP budget must be between 3 and {CLIP_MAX_TOKENS}, got {self.clip_budget}")
        if self.max_retries < 0:
            raise InputError(f"max retries must be 0 or more, got {self.max_retries}")
        if not 0 <= self.min_modifiers <= self.max_modifiers <= 32:
            raise InputError(f"min modifiers must be between 0 (raw output, no selection) and {min(self.max_modifiers, 32)}, got {self.min_modifiers}; pass e.g. --min-modifiers 4")
        if isinstance(self.length, str) and self.length not in LENGTHS:
            raise InputError(f"unknown length {self.length!r}; choose one of: {', '.join(LENGTHS)}, or a CLIP-token target such as 45")
        if not isinstance(self.length, str) and not (isinstance(self.length, int) and 10 <= self.length <= CLIP_MAX_TOKENS):
            raise InputError(f"length must be short, medium, long or a CLIP-token target between 10 and {CLIP_MAX_TOKENS}, got {self.length!r}")
        if self.rerank_temperature < 0 or self.own_bonus < 0:
            raise InputError("rerank temperature and the own-modifier bonus must be 0 or more")
        if isinstance(self.steer, str):
            raise InputError("steer must be a sequence of modifiers, not one string")

    @property
    def target_tokens(self) -> int:
        """The CLIP length selection fills to, never past the budget."""
        target = LENGTHS[self.length] if isinstance(self.length, str) else self.length
        return min(target, self.clip_budget or CLIP_MAX_TOKENS)
