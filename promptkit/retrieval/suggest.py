"""Modifier suggestions: what prompts like yours add, discounted by how common it is everywhere.

Four sources of evidence, combined when given (`get_suggester` uses the index, if any, the
lexicon beside an index, and the relevance model):
- an index: the prompt's nearest indexed prompts vote for their modifiers, each vote weighted by
  the neighbour's similarity; a modifier's share of the votes is divided by its global share to
  the power `discount`, so "highly detailed" (in a third of all prompts) stops topping every list;
- the shipped lexicon: each modifier's context vector (where the prompts using it sit) is
  compared with the prompt, on top of its popularity, with the same discount;
- the relevance model (`modifiers.relevance`): lift among the nearest licensed prompts, the
  expander's own relevance signal; with it, the prompt's medium rules apply and at most 30% of
  the list comes from the 10 most used modifiers;
- the modifier ranker (`modifiers.ranker`, for the evaluation's ablation): P(modifier | the
  prompt's words), divided by the modifier's share ** discount.
Modifiers the prompt already has, and blocklisted ones, are never suggested.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from ..core.errors import InputError, SearchIndexError
from ..core.text import Blocklist, already_in_prompt
from ..modifiers.coherence import allowed, kinds
from ..modifiers.lexicon import Lexicon, categorize, get_lexicon
from ..modifiers.ranker import ModifierRanker
from ..modifiers.relevance import RelevanceModel, get_relevance
from ..modifiers.vocabulary import categorize as vocabulary_category
from .index import Index, get_index, validate_k
from .results import Suggestion
from .store import most_recent_index

MAX_PROMPT_CHARS = 1000


@dataclass(frozen=True)
class SuggestSettings:
    # Defaults chosen on a development bucket of podvodka pairs (hash buckets 10-19), never on
    # the held-out bucket the evaluation reports; see README "Suggest".
    neighbours: int = 128  # nearest indexed prompts that vote
    temperature: float = 0.1  # vote weight exp((similarity - best) / temperature): closer counts more
    discount: float = 0.1  # divide by global share ** discount (0: plain neighbour popularity)
    min_count: int = 2  # a modifier needs this many neighbours (when there are enough) to be suggested
    min_share: float = 2e-4  # floor on a modifier's global share, so one-off phrases do not explode
    prior_strength: float = 10.0  # votes' shrinkage toward the global share, in neighbour units
    context_weight: float = 5.0  # lexicon: log-score gain per unit of context cosine
    lexicon_weight: float = 1.0  # lexicon score's weight beside the index's, when both are used
    ranker_weight: float = 4.0  # the modifier ranker's score weight beside the others (0: off)
    relevance_weight: float = 1.0  # the relevance model's score weight beside the others

    def __post_init__(self) -> None:
        if self.neighbours < 1:
            raise InputError(f"neighbours must be 1 or more, got {self.neighbours}")
        if not 0 <= self.discount <= 1:
            raise InputError(f"discount must be between 0 and 1, got {self.discount}")
        if self.temperature <= 0:
            raise InputError(f"temperature must be positive, got {self.temperature}")


def validate_prompt(prompt: str) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise InputError('prompt is empty; pass some text, e.g. promptkit suggest "a castle in the clouds"')
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InputError(f"prompt is {len(prompt):,} characters, more than the {MAX_PROMPT_CHARS:,} allowed; shorten it")
    return prompt.strip()


class Suggester:
    """Suggests modifiers from an index, the shipped lexicon, or both, plus the modifier ranker when given."""

    def __init__(self, index: Index | None = None, lexicon: Lexicon | None = None, settings: SuggestSettings | None = None,
                 ranker: ModifierRanker | None = None, relevance: RelevanceModel | None = None):
        if index is None and lexicon is None:
            raise SearchIndexError("no index and no modifier lexicon to suggest from; build one with `promptkit index build SOURCE`")
        self.index = index
        self.ranker = ranker
        self.relevance = relevance
        # The lexicon's vectors only mean something next to queries from its own embedder: beside an
        # index built with another (the static default), the prompt is embedded a second time for it.
        self.lexicon = lexicon
        self.settings = (settings or SuggestSettings())
        self.blocklist = Blocklist()

    @property
    def name(self) -> str:
        parts = ([f"index:{self.index.name}"] if self.index else []) + (["lexicon"] if self.lexicon else []) + (["ranker"] if self.ranker else []) + (["relevance"] if self.relevance else [])
        return "+".join(parts)

    def embed(self, prompt: str) -> np.ndarray:
        """The prompt's vector for the index (else the lexicon)."""
        return self.index.embed_query(prompt) if self.index is not None else self._lexicon_vector(prompt)

    def _lexicon_vector(self, prompt: str) -> np.ndarray:
        from .embedding import query_vector

        return query_vector(prompt, {"name": self.lexicon.embedder}, "the modifier lexicon")

    def suggest(self, prompt: str, k: int = 10, vector: np.ndarray | None = None) -> list[Suggestion]:
        prompt = validate_prompt(prompt)
        validate_k(k)
        needs_vector = self.index is not None or (self.lexicon is not None and self.settings.lexicon_weight)
        vector = self.embed(prompt) if vector is None and needs_vector else vector
        present = already_in_prompt(prompt)
        keep = lambda m: not present(m) and not self.blocklist.matches(m)  # noqa: E731
        index_scores, counts = self._from_index(vector, keep) if self.index is not None else ({}, {})
        lexicon_scores = {}
        if self.lexicon is not None and self.settings.lexicon_weight:
            own = self.index is None or self.index.embedder == self.lexicon.embedder
            lexicon_scores = self._from_lexicon(vector if own else self._lexicon_vector(prompt), keep)
        ranker_scores = self._from_ranker(prompt, keep) if self.ranker is not None and self.settings.ranker_weight else {}
        relevance_scores = self._from_relevance(prompt, keep) if self.relevance is not None else {}
        weight = self.settings.lexicon_weight if index_scores else 1.0
        combined: dict[str, float] = defaultdict(float)
        for m, s in index_scores.items():
            combined[m] += s
        for m, s in lexicon_scores.items():
            combined[m] += weight * s
        for m, s in ranker_scores.items():
            combined[m] += self.settings.ranker_weight * s
        for m, s in relevance_scores.items():
            combined[m] += self.settings.relevance_weight * s
        ranked = sorted(combined.items(), key=lambda kv: (-kv[1], kv[0]))
        ranked = self._coherent(prompt, ranked, k) if self.relevance is not None else ranked[:k]
        top = ranked[0][1] if ranked else 1.0
        results = []
        for modifier, score in ranked:
            source = "both" if modifier in index_scores and modifier in lexicon_scores else (
                "index" if modifier in index_scores else ("lexicon" if modifier in lexicon_scores else
                                                          "relevance" if modifier in relevance_scores else "ranker"))
            if modifier in counts:
                count = counts[modifier]
            elif self.relevance is not None and modifier in self.relevance.positions:
                count = int(self.relevance.counts[self.relevance.positions[modifier]])
            elif self.lexicon is not None and modifier in self.lexicon.positions:
                count = int(self.lexicon.counts[self.lexicon.positions[modifier]])
            else:
                count = 0
            results.append(Suggestion(modifier, self._category(modifier), round(float(score / top), 4), int(count), source))
        return results

    def _category(self, modifier: str) -> str:
        if self.relevance is not None and modifier in self.relevance.positions:
            return vocabulary_category(modifier) or "other"
        if self.lexicon is not None and modifier in self.lexicon.positions:
            return self.lexicon.category(modifier)
        return categorize(modifier)

    def _from_relevance(self, prompt: str, keep) -> dict[str, float]:
        """The relevance model's scores (lift among similar subjects), as exp(score - best), max 1."""
        scores = self.relevance.prompt_scores(prompt)
        best = sorted(((v, m) for m, v in scores.items() if keep(m)), reverse=True)[:200]
        return {m: math.exp(v - best[0][0]) for v, m in best} if best else {}

    def _coherent(self, prompt: str, ranked: list[tuple[str, float]], k: int) -> list[tuple[str, float]]:
        """The best k that fit the prompt's medium, repeat nothing, and hold at most a few stock modifiers."""
        chosen: list[str] = []
        kinds_of_prompt = kinds(prompt)
        generic = self.relevance.generic_set
        for modifier, _ in ranked:
            if len(chosen) >= k:
                break
            if modifier in generic and sum(c in generic for c in chosen) >= max(1, (3 * k) // 10):
                continue
            if allowed(modifier, chosen, prompt, kinds_of_prompt, self.relevance.implied):
                chosen.append(modifier)
        scores = dict(ranked)
        return [(m, scores[m]) for m in chosen]

    def _from_index(self, vector: np.ndarray, keep) -> tuple[dict[str, float], dict[str, int]]:
        """Similarity-weighted neighbour votes over global share ** discount, scaled to max 1."""
        s = self.settings
        ids, sims = self.index.nearest(vector, s.neighbours)
        if len(ids) == 0:
            return {}, {}
        weights = np.exp((sims - sims.max()) / s.temperature)
        votes: dict[int, float] = defaultdict(float)
        counts: dict[int, int] = defaultdict(int)
        for row, w in zip(ids, weights):
            for mid in self.index.modifiers_of(int(row)):
                votes[int(mid)] += float(w)
                counts[int(mid)] += 1
        total = float(weights.sum())
        need = s.min_count if len(ids) >= 4 * s.min_count else 1
        scores = {}
        size = self.index.size
        for mid, vote in votes.items():
            modifier = self.index.vocab[mid]
            if counts[mid] < need or not keep(modifier):
                continue
            share = max(self.index.vocab_counts[mid] / size, s.min_share)
            # The neighbours' share, shrunk toward the global share (few neighbours are a noisy sample).
            local = (vote + s.prior_strength * share) / (total + s.prior_strength)
            scores[modifier] = local / share ** s.discount
        top = max(scores.values(), default=1.0)
        return {m: v / top for m, v in scores.items()}, {self.index.vocab[m]: c for m, c in counts.items()}

    def _from_ranker(self, prompt: str, keep) -> dict[str, float]:
        """P(modifier | prompt) from the ranker over its training share ** discount, scaled to max 1."""
        probs = self.ranker.probabilities(prompt)
        scores = probs / np.maximum(self.ranker.rates, self.settings.min_share) ** self.settings.discount
        kept = {m: float(v) for m, v in zip(self.ranker.modifiers, scores) if keep(m)}
        top = max(kept.values(), default=1.0)
        return {m: v / top for m, v in kept.items()}

    def _from_lexicon(self, vector: np.ndarray, keep) -> dict[str, float]:
        """log score = (1 - discount) * log popularity + context_weight * context cosine, as exp, max 1."""
        s = self.settings
        lex = self.lexicon
        logits = (1 - s.discount) * np.log(np.maximum(lex.popularity, s.min_share)) + s.context_weight * lex.context_similarity(vector)
        order = np.argsort(-logits)
        scores = {}
        best = None
        for i in order[: 20 * 50]:
            modifier = lex.modifiers[i]
            if not keep(modifier):
                continue
            best = logits[i] if best is None else best
            scores[modifier] = math.exp(float(logits[i] - best))
            if len(scores) >= 200:
                break
        return scores


# --- module-level API -----------------------------------------------------------------------


def get_suggester(index: str | Index | None | bool = None, settings: SuggestSettings | None = None) -> Suggester:
    """`index`: a name, a loaded Index, None (the most recent index, else lexicon only) or False (lexicon only)."""
    if isinstance(index, Index):
        loaded = index
    elif index is False:
        loaded = None
    elif index is None:
        name = most_recent_index()
        loaded = get_index(name) if name else None
    else:
        loaded = get_index(index)
    try:
        lexicon = get_lexicon()
    except SearchIndexError:
        if loaded is None:
            raise
        lexicon = None  # an index alone still suggests
    relevance = get_relevance()  # a missing or broken relevance model is the same one-line error as in expand
    # Without an index, the relevance model speaks for the shipped data; the lexicon only names categories.
    return Suggester(loaded, lexicon, replace(settings or SuggestSettings(), lexicon_weight=0.0) if loaded is None else settings,
                     relevance=relevance)


def suggest(prompt: str, k: int = 10, *, index: str | Index | None | bool = None, settings: SuggestSettings | None = None) -> list[Suggestion]:
    """Modifiers ranked for `prompt` (see the module docstring), best first, with category and count."""
    validate_prompt(prompt)
    validate_k(k)
    return get_suggester(index, settings).suggest(prompt, k)
