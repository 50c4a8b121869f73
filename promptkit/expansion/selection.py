"""Which modifiers each variant keeps: relevant, coherent, structured, varied, filled to a CLIP target.

Per prompt, the candidates are the relevance model's best modifiers for its subject plus each
variant's own GPT-2 modifiers (canonicalised; fragments and subject words dropped). Per variant
each candidate scores relevance + own bonus + seeded Gumbel noise - a penalty per earlier
variant that used it. Then the category slots a detailed prompt of the prompt's medium fills
are taken first (medium or style, artist, lighting, colour/mood, camera for photos,
detail/quality), then the best remaining candidates until the CLIP-token target is reached.
Every pick passes the coherence rules (`modifiers.coherence.allowed`); modifiers are kept whole
and the prompt never passes `max_tokens`.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.text import CLIP_MAX_TOKENS, Blocklist, clean_input, clip_piece_count, clip_token_count, normalize_commas, normalize_whitespace, split_modifiers
from ..modifiers.coherence import NO_IMPLIED, Implied, allowed, kinds, prompt_medium
from ..modifiers.vocabulary import canonical_forms, categorize, is_candidate

ORDER = ("medium", "style", "artist", "mood", "lighting", "colour", "camera", "quality")

# Category slots a detailed prompt of each medium fills first, in this order.
SLOTS = {
    "photo": ("camera", "lighting", "colour", "mood", "camera", "quality"),
    "painting": ("style", "artist", "lighting", "colour", "mood", "quality"),
    "drawing": ("style", "artist", "mood", "quality", "lighting"),
    "anime": ("style", "artist", "lighting", "colour", "mood", "quality"),
    "pixel": ("style", "colour", "mood", "lighting"),
    "logo": ("style", "colour", "medium", "quality"),
    "render3d": ("medium", "lighting", "colour", "style", "quality", "mood"),
    None: ("medium", "style", "artist", "lighting", "colour", "mood", "quality"),
}
CAPS = {"medium": 1, "style": 2, "artist": 2, "lighting": 2, "colour": 1, "mood": 1, "camera": 3, "quality": 2}
CAMERA_MEDIA = (None, "photo", "render3d")  # lenses and shots belong to photos and renders, not paintings
SINGLE_MEDIUM_ARTISTS = ("photo", "logo", "pixel")  # these media take only artists known for them


@dataclass(frozen=True)
class SelectSettings:
    """How variants are chosen; `target_tokens` is the CLIP length to fill to (see LENGTHS)."""

    target_tokens: int = 41
    max_tokens: int = CLIP_MAX_TOKENS
    temperature: float = 0.8  # scale of the Gumbel noise on scores (0: deterministic top picks)
    own_bonus: float = 1.0  # added to the score of the variant's own GPT-2 modifiers
    reuse_penalty: float = 3.0  # subtracted per earlier variant of the same prompt that used it
    max_generic: int = 1  # at most this many of the corpus's 10 most used modifiers per variant
    min_modifiers: int = 0  # keep adding past the target (within max_tokens) until this many
    max_modifiers: int = 16
    pool_size: int = 80  # relevance candidates considered per prompt
    length_bonus: float = 1.0  # per CLIP token past 2: fewer, more descriptive modifiers
    caps: dict = field(default_factory=lambda: dict(CAPS))


def clean_modifiers(continuation: str, finished: bool = True) -> list[str]:
    """Modifier phrases from generated text; an unfinished last phrase (cut by the token limit) is dropped.

    Generated text is untrusted like any input: control characters are removed before splitting.
    """
    text = normalize_whitespace(clean_input(continuation))
    phrases = [normalize_commas(p) for p in split_modifiers(text)]
    if not finished and phrases and not text.rstrip().endswith(","):
        phrases = phrases[:-1]
    return [p for p in phrases if p]


def own_candidates(sampled: Sequence[str], artists: frozenset[str], blocklist: Blocklist) -> list[str]:
    """Canonical candidate keys from a variant's GPT-2 modifiers (fragments, subjects, blocked terms dropped)."""
    keys: list[str] = []
    for phrase in sampled:
        for key in canonical_forms(phrase, artists):
            if is_candidate(key) and not blocklist.matches(key) and key not in keys:
                keys.append(key)
    return keys


class _Variant:
    """The growing choice of one variant and its CLIP length."""

    def __init__(self, prompt: str, generic: frozenset[str], settings: SelectSettings, implied: Implied):
        self.prompt, self.generic, self.settings, self.implied = prompt, generic, settings, implied
        self.tokens = clip_token_count(prompt)
        self.prompt_kinds = kinds(prompt)
        self.medium = prompt_medium(prompt)
        self.named_medium = self.medium is not None
        self.chosen: list[str] = []
        self.per_category: Counter = Counter()

    def try_add(self, key: str) -> bool:
        category = categorize(key)
        if key in self.chosen or len(self.chosen) >= self.settings.max_modifiers:
            return False
        if self.per_category[category] >= self.settings.caps.get(category, 2):
            return False
        if key in self.generic and sum(c in self.generic for c in self.chosen) >= self.settings.max_generic:
            return False
        cost = clip_piece_count(", " + key)
        if self.tokens + cost > self.settings.max_tokens:
            return False
        if not self._fits_medium(key, category) or not allowed(key, self.chosen, self.prompt, self.prompt_kinds, self.implied):
            return False
        if category == "medium" and self.medium is None:
            self.medium = prompt_medium(key)  # the variant's medium is set now: later picks must fit it
        self.chosen.append(key)
        self.per_category[category] += 1
        self.tokens += cost
        return True

    def _fits_medium(self, key: str, category: str | None) -> bool:
        """A medium term must be the variant's medium; some media take no camera terms or foreign artists."""
        if category == "camera" and self.medium not in CAMERA_MEDIA:
            return False
        if self.medium is None:
            return True
        if category == "medium":  # a prompt that names its medium gets only more of the same medium
            return prompt_medium(key) == self.medium if self.named_medium else prompt_medium(key) in (None, self.medium)
        if category == "artist" and self.medium in SINGLE_MEDIUM_ARTISTS:
            return self.medium in self.implied.get(key, frozenset())
        return True


def choose(prompt: str, pool: dict[str, float], own: Sequence[str], rng: random.Random, used: Counter,
           generic: frozenset[str], settings: SelectSettings, implied: Implied = NO_IMPLIED) -> list[str]:
    """One variant's modifiers, ordered medium/style, artist, mood, lighting, colour, camera, quality.

    `pool`: candidate key -> relevance score; `own`: the variant's own candidate keys (any not
    in `pool` get the pool's lowest score); `used`: how many earlier variants used each key.
    """
    floor = min(pool.values(), default=0.0)
    own_set = set(own)
    keyed = {}
    for key in dict.fromkeys([*pool, *own]):
        noise = -math.log(-math.log(rng.random() or 1e-12))
        length = min(clip_piece_count(key), 4)
        keyed[key] = (pool.get(key, floor) + settings.own_bonus * (key in own_set) + settings.length_bonus * max(length - 2, 0)
                      + settings.temperature * noise - settings.reuse_penalty * used.get(key, 0))
    ranked = sorted(keyed, key=lambda k: -keyed[k])
    variant = _Variant(prompt, generic, settings, implied)
    for slot in SLOTS[variant.medium]:
        if variant.tokens >= settings.target_tokens:
            break
        next((key for key in ranked if categorize(key) == slot and variant.try_add(key)), None)
    for key in ranked:
        if variant.tokens >= settings.target_tokens and len(variant.chosen) >= settings.min_modifiers:
            break
        variant.try_add(key)
    return sorted(variant.chosen, key=lambda k: ORDER.index(categorize(k) or "quality"))


def choose_variants(prompt: str, pool: dict[str, float], own_per_variant: Sequence[Sequence[str]], seed: int,
                    generic: frozenset[str], settings: SelectSettings, implied: Implied = NO_IMPLIED) -> list[list[str]]:
    """Modifier lists for each variant of one prompt; later variants avoid earlier variants' picks."""
    used: Counter = Counter()
    variants: list[list[str]] = []
    for index, own in enumerate(own_per_variant):
        rng = random.Random(f"{seed}:{index}")
        chosen = choose(prompt, pool, own, rng, used, generic, settings, implied)
        for _ in range(3):  # never two identical variants: retry with the duplicate penalised
            if set(chosen) not in [set(v) for v in variants]:
                break
            used.update(dict.fromkeys(chosen, 3))
            chosen = choose(prompt, pool, own, rng, used, generic, settings, implied)
        used.update(chosen)
        variants.append(chosen)
    return variants
