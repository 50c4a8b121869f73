"""How well suggestions match the real long prompts' modifiers, for every suggestion method side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.errors import InputError
from ..core.text import already_in_prompt, normalize_modifier
from ..modifiers.lexicon import Lexicon
from ..modifiers.ranker import ModifierRanker
from ..retrieval.index import Index
from ..retrieval.suggest import Suggester, SuggestSettings
from .baselines import popular_modifiers
from .expansion import EvalCase

Method = Callable[[str, int], Sequence[str]]


@dataclass
class SuggestEvalRow:
    """Precision@k and recall@k of suggested modifiers against the real long prompts' modifiers."""

    method: str
    cases: int
    k: int
    precision: float
    recall: float
    hit_rate: float  # share of prompts with at least one correct suggestion in the top k

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def evaluate_suggestions(cases: Sequence[EvalCase], methods: dict[str, Callable[[str, int], Sequence[str]]], k: int = 10, progress=None) -> list[SuggestEvalRow]:
    """Score each method's top-k modifiers (normalised exact match) on pairs with reference modifiers."""
    cases = [c for c in cases if c.reference]
    if not cases:
        raise InputError("no evaluation pairs with modifiers in their long prompt; pass a pairs file (short + long prompt)")
    totals = {name: [0, 0, 0] for name in methods}  # hits, relevant, prompts with a hit
    for done, case in enumerate(cases, 1):
        reference = set(case.reference)
        for name, method in methods.items():
            predicted = {normalize_modifier(m) for m in list(method(case.short, k))[:k]}
            hits = len(predicted & reference)
            totals[name][0] += hits
            totals[name][1] += len(reference)
            totals[name][2] += hits > 0
        if progress:
            progress(done, len(cases))
    return [SuggestEvalRow(name, len(cases), k, hits / (k * len(cases)), hits / relevant if relevant else 0.0, hit / len(cases))
            for name, (hits, relevant, hit) in totals.items()]


def ranker_method(ranker: ModifierRanker):
    """The ranker's most probable modifiers that the prompt does not already have (for evaluation)."""

    def method(prompt: str, k: int) -> list[str]:
        present = already_in_prompt(prompt)
        return [m for m, _ in ranker.rank(prompt) if not present(m)][:k]

    return method


def suggestion_methods(index: Index, lexicon: Lexicon, ranker: ModifierRanker, settings: SuggestSettings) -> dict[str, Method]:
    """The ablation: suggest with every combination of evidence, the ranker alone, and the popularity baselines."""
    suggesters = {
        f"suggest (default): index {index.name} + lexicon + ranker": Suggester(index, lexicon, settings, ranker),
        f"suggest: index {index.name} + lexicon": Suggester(index, lexicon, settings),
        f"suggest: index {index.name}": Suggester(index, None, settings),
        "suggest: lexicon + ranker (no index: a fresh install)": Suggester(None, lexicon, settings, ranker),
        "suggest: lexicon only": Suggester(None, lexicon, settings),
    }
    vectors: dict[str, object] = {}

    def vector(prompt: str):  # one query embedding per prompt, shared by every method
        if prompt not in vectors:
            vectors.clear()
            vectors[prompt] = index.embed_query(prompt)
        return vectors[prompt]

    def run(suggester: Suggester) -> Method:
        return lambda prompt, k: [s.modifier for s in suggester.suggest(prompt, k, vector=vector(prompt))]

    methods = {name: run(suggester) for name, suggester in suggesters.items()}
    methods["suggest: ranker only"] = ranker_method(ranker)
    methods[f"baseline: popular in {index.name}"] = popular_modifiers(index.vocab)
    by_popularity = sorted(range(len(lexicon.modifiers)), key=lambda i: -lexicon.popularity[i])
    methods["baseline: popular in lexicon"] = popular_modifiers([lexicon.modifiers[i] for i in by_popularity])
    by_rate = sorted(range(len(ranker.modifiers)), key=lambda i: -ranker.rates[i])
    methods["baseline: popular in the ranker's training pairs"] = popular_modifiers([ranker.modifiers[i] for i in by_rate])
    return methods
