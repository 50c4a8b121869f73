"""Result types of `search` and `suggest` (to_dict() feeds --json)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SearchHit:
    """One prompt found by `search`: its cosine similarity to the query and its modifiers."""

    prompt: str
    score: float
    rank: int
    index_name: str
    modifiers: tuple[str, ...] = ()
    nsfw: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["modifiers"] = list(self.modifiers)
        return data



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
