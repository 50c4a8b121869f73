"""One expansion of a prompt: the result type of `expand` (to_dict() feeds --json)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..core.text import CLIP_MAX_TOKENS


@dataclass(frozen=True)
class Expansion:
    """One expansion of a prompt.

    `expanded` always starts with `prompt` verbatim; `added` lists the appended modifier phrases
    in order. `seed` with the same prompt, model, settings and `n` reproduces the call; `index`
    is this variant's position among the call's `n` variants.
    """

    prompt: str
    expanded: str
    added: tuple[str, ...]
    seed: int
    model: str
    clip_tokens: int
    index: int = 0
    clip_budget: int | None = CLIP_MAX_TOKENS
    trimmed: int = 0  # modifiers dropped to fit the CLIP budget
    blocked: int = 0  # modifiers dropped by the blocklist

    def to_dict(self) -> dict:
        data = asdict(self)
        data["added"] = list(self.added)
        return data
