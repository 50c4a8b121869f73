"""Settings of one expand call; they validate themselves on creation."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.errors import InputError
from ..core.text import CLIP_MAX_TOKENS, Blocklist

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
    # Reranking with the modifier ranker (promptkit/ranker.py). Each variant's candidates are its
    # own sampled modifiers and the ranker's top ones, ordered by log P(modifier | prompt) plus
    # seeded Gumbel noise of scale `rerank_temperature` (so variants differ); `own_bonus`
    # multiplies P for the variant's own modifiers, so the model's choices win close calls. A
    # variant keeps every candidate with P >= `min_probability`, at least `min_modifiers` and at most
    # `max_modifiers`: confident prompts get more modifiers, unclear ones fewer.
    # min_modifiers=0: the model's raw output, no reranking. Defaults chosen on hash buckets 10-19.
    min_modifiers: int = 4
    max_modifiers: int = 10
    min_probability: float = 0.06
    rerank_temperature: float = 0.4
    own_bonus: float = 4.0

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        if not 1 <= self.n <= MAX_VARIANTS:
            raise InputError(f"n must be between 1 and {MAX_VARIANTS}, got {self.n}; pass e.g. --n 4")
        if not self.temperature > 0:
            raise InputError(f"temperature must be greater than 0, got {self.temperature}; pass e.g. --temperature 0.8")
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
            raise InputError(f"min modifiers must be between 0 (no reranking) and {min(self.max_modifiers, 32)}, got {self.min_modifiers}; pass e.g. --min-modifiers 4")
        if not 0 <= self.min_probability <= 1:
            raise InputError(f"minimum probability must be in [0, 1], got {self.min_probability}")
        if self.rerank_temperature < 0 or self.own_bonus <= 0:
            raise InputError("rerank temperature must be 0 or more and the own-modifier bonus positive")
        if isinstance(self.steer, str):
            raise InputError("steer must be a sequence of modifiers, not one string")
