"""The settings every render carries besides the prompt and seed; they validate themselves on creation."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..core.errors import InputError

MIN_SIZE = 64
MAX_SIZE = 2048  # 2048x2048 already needs ~20 GB of activations in SD 2.1; larger is a typo
MAX_STEPS = 500
MAX_GUIDANCE = 50.0
MAX_NEGATIVE_CHARS = 1000
DEFAULT_STEPS = 25  # DPM-Solver++ 2M converges in 20-25 steps (the diffusers quickstart runs 50 PNDM steps)
DEFAULT_GUIDANCE = 7.5
DEFAULT_SCHEDULER = "dpm++"


@dataclass(frozen=True)
class RenderSettings:
    """Everything besides the prompt and seed that decides the pixels.

    `width`/`height` of None mean the model's native size (768 for SD 2.1).
    """

    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    width: int | None = None
    height: int | None = None
    negative: str = ""
    scheduler: str = DEFAULT_SCHEDULER

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= MAX_STEPS:
            raise InputError(f"steps must be an integer between 1 and {MAX_STEPS}, got {self.steps!r}; pass e.g. --steps {DEFAULT_STEPS}")
        if not isinstance(self.guidance, (int, float)) or not 0 <= self.guidance <= MAX_GUIDANCE:
            raise InputError(f"guidance must be between 0 and {MAX_GUIDANCE:g}, got {self.guidance!r}; pass e.g. --guidance {DEFAULT_GUIDANCE}")
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not MIN_SIZE <= value <= MAX_SIZE:
                raise InputError(f"{name} must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {value!r}; pass e.g. --{name} 768")
            if value % 8:
                raise InputError(f"{name} must be a multiple of 8 (the VAE works on 8x8 blocks), got {value}; pass e.g. --{name} {round(value / 8) * 8 or 8}")
        if not isinstance(self.negative, str):
            raise InputError(f"negative prompt must be text, got {type(self.negative).__name__}")
        if len(self.negative) > MAX_NEGATIVE_CHARS:
            raise InputError(f"negative prompt is {len(self.negative):,} characters, more than the {MAX_NEGATIVE_CHARS:,} allowed; shorten --negative")
        if not isinstance(self.scheduler, str) or not self.scheduler:
            raise InputError(f"scheduler must be a name, got {self.scheduler!r}; pass e.g. --scheduler {DEFAULT_SCHEDULER}")

    def with_size(self, width: int, height: int) -> RenderSettings:
        """A copy with the size the model rendered at; already-validated settings are not checked again."""
        copy = object.__new__(RenderSettings)
        for name, value in {**self.__dict__, "width": width, "height": height}.items():
            object.__setattr__(copy, name, value)
        return copy

    def to_dict(self) -> dict:
        return asdict(self)
