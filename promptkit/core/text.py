"""Pure text helpers for prompts: normalisation, subject/modifier split, blocklist, CLIP budget.

Everything here is a plain function over strings so that it is cheap to import and easy to
table-test; the expander, the evaluation and the search index share these definitions.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import InputError

CLIP_MAX_TOKENS = 77  # Stable Diffusion's text encoders read 77 tokens, start and end included.
MAX_PROMPT_CHARS = 1000

_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_REPEATED_COMMAS = re.compile(r"(?:\s*,\s*){2,}")
_ONLY_PUNCT = re.compile(r"^[\W_]*$")
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# "8 k" -> "8k", "4 k" -> "4k", "3 d" -> "3d": DiffusionDB-style tokenisation artefacts.
_SPLIT_UNIT = re.compile(r"\b(\d+)\s+(k|d|mm|px|fps)\b", re.IGNORECASE)


def clean_input(text: str) -> str:
    """A prompt as typed or read: line breaks and tabs become spaces, other control characters
    (NUL, ESC, ...) are removed, so a prompt is always one line and never drives the terminal."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text))


def printable(text: str) -> str:
    """`text` safe to print: control characters other than newline and tab are shown escaped (\\x1b)."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def normalize_whitespace(text: str) -> str:
    """NFC-normalise, collapse whitespace runs to one space, strip the ends."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def normalize_commas(text: str) -> str:
    """Tidy comma usage: no space before punctuation, one space after a comma, no empty clauses."""
    text = normalize_whitespace(text)
    text = _REPEATED_COMMAS.sub(", ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = re.sub(r",(?=\S)", ", ", text)
    return text.strip(" ,")


def normalize_modifier(modifier: str) -> str:
    """The comparison key of a modifier: lower case, single spaces, "8 k" -> "8k", no edge punctuation."""
    text = normalize_whitespace(modifier).lower()
    text = _SPLIT_UNIT.sub(r"\1\2", text)
    return text.strip(" .,;:!?-_'\"()[]{}|")


def is_punctuation_only(text: str) -> bool:
    return bool(_ONLY_PUNCT.match(text))


@dataclass(frozen=True)
class SplitPrompt:
    subject: str
    modifiers: tuple[str, ...]


def split_modifiers(text: str) -> list[str]:
    """Split on commas (and the '|' some prompts use) into cleaned, non-empty phrases."""
    parts = re.split(r"[,|]", normalize_whitespace(text))
    phrases = [p.strip(" .;:") for p in parts]
    return [p for p in phrases if p and not is_punctuation_only(p)]


def split_prompt(prompt: str) -> SplitPrompt:
    """The first comma clause is the subject; every later clause is a modifier phrase."""
    phrases = split_modifiers(prompt)
    if not phrases:
        return SplitPrompt("", ())
    return SplitPrompt(phrases[0], tuple(phrases[1:]))


def dedupe_modifiers(modifiers: Iterable[str], existing: Iterable[str] = ()) -> list[str]:
    """Drop modifiers whose normalised form was already seen (in `existing` or earlier in the list)."""
    seen = {normalize_modifier(m) for m in existing}
    kept = []
    for modifier in modifiers:
        key = normalize_modifier(modifier)
        if key and key not in seen:
            seen.add(key)
            kept.append(modifier)
    return kept


def already_in_prompt(prompt: str):
    """A predicate on modifier keys: does the prompt already say this (as a phrase or as words)?"""
    phrases = {normalize_modifier(p) for p in split_modifiers(prompt)}
    text = " " + " ".join(normalize_modifier(prompt).replace(",", " ").split()) + " "
    return lambda key: key in phrases or f" {key} " in text


def join_prompt(prompt: str, added: Sequence[str]) -> str:
    """The user's prompt verbatim, then the added modifiers, comma separated."""
    if not added:
        return prompt
    separator = " " if prompt.rstrip().endswith(",") else ", "
    return prompt.rstrip() + separator + ", ".join(added)


# --- blocklist -----------------------------------------------------------------------------

# Sexual and gore terms: expansions never *add* these. Whole words, case-insensitive.
DEFAULT_BLOCKLIST: tuple[str, ...] = (
    "nude", "nudes", "nudity", "naked", "nsfw", "sexy", "sex", "sexual", "erotic", "erotica",
    "porn", "pornographic", "hentai", "lingerie", "topless", "bottomless", "nipple", "nipples",
    "breast", "breasts", "boobs", "cleavage", "genitals", "seductive", "sensual", "bikini",
    "underwear", "fetish", "bdsm", "orgasm", "playboy", "onlyfans", "undressed", "busty",
    "gore", "gory", "blood", "bloody", "corpse", "corpses", "dismembered", "decapitated",
    "mutilated", "mutilation", "torture", "guts", "entrails", "severed", "disembowelled",
)


@dataclass(frozen=True)
class Blocklist:
    """Terms (whole words) and regular expressions an expansion must not add."""

    terms: tuple[str, ...] = DEFAULT_BLOCKLIST
    patterns: tuple[str, ...] = field(default=())

    @classmethod
    def build(
        cls, extra_terms: Iterable[str] = (), extra_patterns: Iterable[str] = (), defaults: bool = True
    ) -> Blocklist:
        patterns = tuple(extra_patterns)
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(f"blocklist pattern {pattern!r} is not a valid regular expression ({exc}); fix or drop it") from None
        terms = (DEFAULT_BLOCKLIST if defaults else ()) + tuple(t.strip().lower() for t in extra_terms if t.strip())
        return cls(terms=terms, patterns=patterns)

    @functools.cached_property
    def _regex(self) -> re.Pattern[str] | None:
        alternatives = [r"\b" + re.escape(t) + r"\b" for t in self.terms] + [f"(?:{p})" for p in self.patterns]
        return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def matches(self, text: str) -> bool:
        return bool(self._regex and self._regex.search(text))


# --- CLIP token budget ---------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _clip_tokenizer():
    from instant_clip_tokenizer import Tokenizer

    return Tokenizer()


def clip_token_count(text: str) -> int:
    """Exact CLIP token count of `text`, start and end tokens included (SD truncates past 77)."""
    # CLIP lower-cases its input before byte-pair encoding.
    return len(_clip_tokenizer().encode(text.lower())) + 2


def clip_piece_count(text: str) -> int:
    """CLIP tokens of a fragment without the start and end tokens (for running totals)."""
    return clip_token_count(text) - 2


def trim_to_budget(prompt: str, added: Sequence[str], budget: int = CLIP_MAX_TOKENS) -> list[str]:
    """Keep the longest prefix of `added` whose joined prompt fits in `budget` CLIP tokens.

    Trimming happens at modifier boundaries: a modifier is either kept whole or dropped.
    """
    kept = list(added)
    while kept and clip_token_count(join_prompt(prompt, kept)) > budget:
        kept.pop()
    return kept


def validate_prompt(prompt: str, clip_budget: int | None = None) -> str:
    """The prompt as it will be kept (outer whitespace stripped), or a one-line InputError.

    With `clip_budget`, the prompt must also leave room to expand within that many CLIP tokens.
    """
    if not isinstance(prompt, str):
        raise InputError(f"prompt must be text, got {type(prompt).__name__}")
    text = clean_input(prompt).strip()
    if not text:
        raise InputError('prompt is empty; pass some text, e.g. "a castle in the clouds"')
    if len(text) > MAX_PROMPT_CHARS:
        raise InputError(
            f"prompt is {len(text):,} characters, more than the {MAX_PROMPT_CHARS:,} allowed "
            f"(Stable Diffusion reads only {CLIP_MAX_TOKENS} CLIP tokens); shorten it"
        )
    if clip_budget is not None:
        tokens = clip_token_count(text)
        if tokens >= clip_budget:
            raise InputError(
                f"prompt already uses {tokens} of the {clip_budget} CLIP tokens Stable Diffusion reads, "
                "leaving no room to expand; shorten it or pass --no-budget"
            )
    return text
