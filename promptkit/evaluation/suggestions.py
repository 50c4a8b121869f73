"""How well suggestions match the real long prompts' modifiers, for every suggestion method side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..core.errors import InputError
from ..core.text import already_in_prompt, normalize_modifier
from ..modifiers.coherence import conflicts, kinds
from ..modifiers.lexicon import Lexicon
from ..modifiers.ranker import ModifierRanker
from ..modifiers.relevance import RelevanceModel
from ..retrieval.index import Index
from ..retrieval.suggest import Suggester, SuggestSettings
from .baselines import popular_modifiers
from .expansion import EvalCase

Method = Callable[[str, int], Sequence[str]]


@dataclass
class SuggestEvalRow:
    """Precision@k and recall@k against the real long prompts' modifiers, and how specific the suggestions are."""

    method: str
    cases: int
    k: int
    precision: float
    recall: float
    hit_rate: float  # share of prompts with at least one correct suggestion in the top k
    generic: float  # share of suggestions among the 10 most used modifiers of all prompts
    conflict: float  # share of suggestions that contradict the prompt's medium
    breadth: float  # distinct suggestions / all suggestions, over every prompt

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def evaluate_suggestions(cases: Sequence[EvalCase], methods: dict[str, Method], k: int = 10, progress=None,
                         generic: frozenset[str] = frozenset()) -> list[SuggestEvalRow]:
    """Score each method's top-k modifiers (normalised exact match) on pairs with reference modifiers."""
    cases = [c for c in cases if c.reference]
    if not cases:
        raise InputError("no evaluation pairs with modifiers in their long prompt; pass a pairs file (short + long prompt)")
    tallies = {name: _Tally() for name in methods}
    for done, case in enumerate(cases, 1):
        for name, method in methods.items():
            tallies[name].add(case, [normalize_modifier(m) for m in list(method(case.short, k))[:k]], generic)
        if progress:
            progress(done, len(cases))
    return [tally.row(name, len(cases), k) for name, tally in tallies.items()]


class _Tally:
    def __init__(self):
        self.hits = self.relevant = self.prompts_hit = self.generic = self.conflict = 0
        self.suggested: list[str] = []

    def add(self, case: EvalCase, predicted: list[str], generic: frozenset[str]) -> None:
        hits = len(set(predicted) & set(case.reference))
        self.hits += hits
        self.relevant += len(case.reference)
        self.prompts_hit += hits > 0
        self.generic += sum(m in generic for m in predicted)
        prompt_kinds = kinds(case.short)
        self.conflict += sum(conflicts(kinds(m), prompt_kinds) for m in predicted)
        self.suggested += predicted

    def row(self, name: str, cases: int, k: int) -> SuggestEvalRow:
        total = max(len(self.suggested), 1)
        return SuggestEvalRow(name, cases, k, self.hits / (k * cases), self.hits / self.relevant if self.relevant else 0.0,
                              self.prompts_hit / cases, self.generic / total, self.conflict / total, len(set(self.suggested)) / total)


def ranker_method(ranker: ModifierRanker):
    """The ranker's most probable modifiers that the prompt does not already have (for evaluation)."""

    def method(prompt: str, k: int) -> list[str]:
        present = already_in_prompt(prompt)
        return [m for m, _ in ranker.rank(prompt) if not present(m)][:k]

    return method


def suggestion_methods(index: Index, lexicon: Lexicon, ranker: ModifierRanker, relevance: RelevanceModel,
                       settings: SuggestSettings) -> dict[str, Method]:
    """The ablation: suggest with every combination of evidence, the ranker alone, and the popularity baselines."""
    no_lexicon = replace(settings, lexicon_weight=0.0)
    suggesters = {
        f"suggest (default): index {index.name} + lexicon + relevance": Suggester(index, lexicon, settings, relevance=relevance),
        f"suggest: index {index.name} + lexicon + ranker (before relevance)": Suggester(index, lexicon, settings, ranker),
        f"suggest: index {index.name} + lexicon": Suggester(index, lexicon, settings),
        "suggest: relevance (the default on a fresh install)": Suggester(None, lexicon, no_lexicon, relevance=relevance),
        "suggest: lexicon only": Suggester(None, lexicon, settings),
    }
    vectors: dict[str, object] = {}

    def vector(prompt: str):  # one query embedding per prompt, shared by every method
        if prompt not in vectors:
            vectors.clear()
            vectors[prompt] = index.embed_query(prompt)
        return vectors[prompt]

    def run(suggester: Suggester) -> Method:
        # Without an index a suggester embeds for the lexicon, which may use another embedder than the index.
        shared = suggester.index is not None or index.embedder == lexicon.embedder
        return lambda prompt, k: [s.modifier for s in suggester.suggest(prompt, k, vector=vector(prompt) if shared else None)]

    methods = {name: run(suggester) for name, suggester in suggesters.items()}
    methods["suggest: ranker only"] = ranker_method(ranker)
    methods[f"baseline: popular in {index.name}"] = popular_modifiers(index.vocab)
    by_popularity = sorted(range(len(lexicon.modifiers)), key=lambda i: -lexicon.popularity[i])
    methods["baseline: popular in lexicon"] = popular_modifiers([lexicon.modifiers[i] for i in by_popularity])
    return methods
