"""Result types: frozen dataclasses with to_dict() for --json and __rich__ for previews."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .prompts import CLIP_MAX_TOKENS


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

    def __rich__(self):
        from .preview import expansion_renderable

        return expansion_renderable(self)


@dataclass(frozen=True)
class SearchHit:
    """One prompt found by `search`: its cosine similarity to the query and its modifiers."""

    prompt: str
    score: float
    rank: int
    index: str
    modifiers: tuple[str, ...] = ()
    nsfw: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["modifiers"] = list(self.modifiers)
        return data

    def __rich__(self):
        from .preview import search_table

        return search_table([self])


@dataclass(frozen=True)
class Suggestion:
    """A modifier suggested for a prompt.

    `score` ranks suggestions (higher is better, at most 1); `count` is how many of the prompt's
    nearest indexed prompts use the modifier, or, from the shipped lexicon alone, how many
    prompts of its source corpus use it. `source` says which evidence put it there: "index",
    "lexicon", "both" (index and lexicon) or "ranker" (the modifier ranker alone; `count` is then 0).
    """

    modifier: str
    category: str
    score: float
    count: int
    source: str = "index"

    def to_dict(self) -> dict:
        return asdict(self)

    def __rich__(self):
        from .preview import suggestions_table

        return suggestions_table([self])
