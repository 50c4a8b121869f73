"""Text metrics for expanders over a file of short prompts, with two baselines to beat.

Metrics (per expander): share that keep the prompt verbatim, share within the CLIP budget, mean
added modifiers, share repeating a modifier, distinct-2 across a prompt's variants, share adding
a blocklisted term, and, where the file holds short->long pairs, micro-averaged precision and
recall of the added modifiers against the real long prompt's modifiers (normalised exact match).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol, Sequence

from .datasets import PromptRecord, is_heldout, read_prompts
from .errors import InputError
from .prompts import (
    CLIP_MAX_TOKENS,
    Blocklist,
    clip_token_count,
    join_prompt,
    normalize_modifier,
    split_modifiers,
    split_prompt,
    trim_to_budget,
)
from .types import Expansion


class ExpanderLike(Protocol):
    name: str

    def expand(self, prompt: str, seed: int | None = None, settings=None) -> list[Expansion]: ...


@dataclass(frozen=True)
class EvalCase:
    short: str
    reference: tuple[str, ...] | None  # normalised modifiers of the real long prompt, if known


@dataclass
class EvalRow:
    expander: str
    prompts: int
    expansions: int
    keep_prompt: float
    within_budget: float
    mean_added: float
    repeat_modifier: float
    distinct_2: float
    blocklisted: float
    precision: float | None
    recall: float | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class EvalReport:
    source: str
    cases: int
    variants: int
    seed: int
    rows: list[EvalRow] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"source": self.source, "cases": self.cases, "variants": self.variants, "seed": self.seed, "rows": [r.to_dict() for r in self.rows]}


def load_cases(source: str, heldout_percent: float | None = None, limit: int | None = None) -> list[EvalCase]:
    """Short prompts (and reference modifiers for pairs) from a txt file or a pairs file."""
    records = read_prompts(source)
    if heldout_percent is not None:
        records = [r for r in records if is_heldout(r, heldout_percent)]
    cases = []
    for record in records:
        if record.short:
            reference = tuple(sorted({normalize_modifier(m) for m in split_prompt(record.prompt).modifiers} - {""}))
            cases.append(EvalCase(record.short, reference))
        else:
            cases.append(EvalCase(record.prompt, None))
    if limit is not None:
        cases = cases[:limit]
    if not cases:
        raise InputError(f"no evaluation prompts in '{source}' after filtering; check the file and --heldout-percent")
    return cases


def evaluate_expander(expander: ExpanderLike, cases: Sequence[EvalCase], variants: int, seed: int, settings_for: Callable[[int], object], progress=None) -> EvalRow:
    """Expand every case (`variants` variants each, one seeded call) and compute the metrics."""
    blocklist = Blocklist()
    keep = within = repeats = blocked = total = 0
    added_total = 0
    hits = predicted = relevant = 0
    distinct_scores = []
    for done, case in enumerate(cases, 1):
        expansions = expander.expand(case.short, seed=seed, settings=settings_for(variants))
        bigrams: list[tuple[str, str]] = []
        for exp in expansions:
            total += 1
            keep += exp.expanded.startswith(case.short)
            within += clip_token_count(exp.expanded) <= CLIP_MAX_TOKENS
            added_total += len(exp.added)
            keys = [normalize_modifier(m) for m in exp.added]
            prompt_keys = {normalize_modifier(m) for m in split_modifiers(case.short)}
            repeats += len(set(keys)) < len(keys) or bool(prompt_keys & set(keys))
            blocked += any(blocklist.matches(m) for m in exp.added)
            words = " , ".join(keys).split()
            bigrams += list(zip(words, words[1:]))
            if case.reference is not None:
                added = set(keys)
                hits += len(added & set(case.reference))
                predicted += len(added)
                relevant += len(case.reference)
        if bigrams:
            distinct_scores.append(len(set(bigrams)) / len(bigrams))
        if progress:
            progress(expander.name, done, len(cases))
    has_reference = any(c.reference is not None for c in cases)
    return EvalRow(
        expander=expander.name, prompts=len(cases), expansions=total,
        keep_prompt=keep / total, within_budget=within / total, mean_added=added_total / total,
        repeat_modifier=repeats / total, distinct_2=sum(distinct_scores) / len(distinct_scores) if distinct_scores else 0.0,
        blocklisted=blocked / total,
        precision=(hits / predicted if predicted else 0.0) if has_reference else None,
        recall=(hits / relevant if relevant else 0.0) if has_reference else None,
    )


# --- baselines -----------------------------------------------------------------------------


def _expansion(name: str, prompt: str, modifiers: Sequence[str], seed: int, index: int, budget: int | None) -> Expansion:
    existing = {normalize_modifier(m) for m in split_modifiers(prompt)}
    fresh = [m for m in modifiers if normalize_modifier(m) not in existing]
    kept = trim_to_budget(prompt, fresh, budget) if budget else list(fresh)
    expanded = join_prompt(prompt, kept)
    return Expansion(prompt=prompt, expanded=expanded, added=tuple(kept), seed=seed, model=name,
                     clip_tokens=clip_token_count(expanded), index=index, clip_budget=budget, trimmed=len(fresh) - len(kept))


class PopularModifiers:
    """Baseline: append the k most frequent modifiers of the training prompts, whatever the prompt."""

    name = "baseline:popular"

    def __init__(self, training: Iterable[PromptRecord], k: int = 6):
        counts = Counter()
        for record in training:
            for modifier in split_prompt(record.prompt).modifiers:
                counts[normalize_modifier(modifier)] += 1
        counts.pop("", None)
        self.ranked = [m for m, _ in counts.most_common()]
        self.k = k

    def expand(self, prompt: str, seed: int | None = None, settings=None) -> list[Expansion]:
        n = getattr(settings, "n", 1)
        budget = getattr(settings, "clip_budget", CLIP_MAX_TOKENS)
        return [_expansion(self.name, prompt, self.ranked[: self.k], seed or 0, i, budget) for i in range(n)]


_WORD = re.compile(r"[a-z0-9]+")


class NearestPromptModifiers:
    """Baseline: copy the modifiers of the most similar training prompt (TF-IDF cosine on the subject)."""

    name = "baseline:nearest"

    def __init__(self, training: Iterable[PromptRecord]):
        self.modifiers: list[tuple[str, ...]] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        documents = []
        for record in training:
            split = split_prompt(record.prompt)
            if not split.modifiers:
                continue
            documents.append(Counter(_WORD.findall((record.short or split.subject).lower())))
            self.modifiers.append(split.modifiers)
        frequency = Counter(w for doc in documents for w in doc)
        self.idf = {w: math.log((1 + len(documents)) / (1 + f)) + 1 for w, f in frequency.items()}
        for index, doc in enumerate(documents):
            weights = {w: c * self.idf[w] for w, c in doc.items()}
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            for w, v in weights.items():
                postings[w].append((index, v / norm))
        self.postings = postings

    def nearest(self, text: str) -> int | None:
        query = Counter(_WORD.findall(text.lower()))
        scores: dict[int, float] = defaultdict(float)
        for w, c in query.items():
            weight = c * self.idf.get(w, 0.0)
            for index, v in self.postings.get(w, ()):
                scores[index] += weight * v
        return max(scores, key=lambda i: (scores[i], -i)) if scores else None

    def expand(self, prompt: str, seed: int | None = None, settings=None) -> list[Expansion]:
        n = getattr(settings, "n", 1)
        budget = getattr(settings, "clip_budget", CLIP_MAX_TOKENS)
        index = self.nearest(prompt)
        modifiers = self.modifiers[index] if index is not None else ()
        return [_expansion(self.name, prompt, modifiers, seed or 0, i, budget) for i in range(n)]


def baseline_training_records(sources: Sequence[str], heldout_percent: float | None) -> list[PromptRecord]:
    """The baselines' training prompts: the given sources minus the held-out bucket."""
    records = []
    for source in sources:
        records += [r for r in read_prompts(source) if heldout_percent is None or not is_heldout(r, heldout_percent)]
    return records


# --- modifier suggestions ------------------------------------------------------------------


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


def popular_modifiers(ranked: Sequence[str]) -> Callable[[str, int], list[str]]:
    """Baseline: the most popular modifiers the prompt does not have yet, whatever the prompt."""

    def method(prompt: str, k: int) -> list[str]:
        present = {normalize_modifier(m) for m in split_modifiers(prompt)}
        return [m for m in ranked[: k + len(present)] if m not in present][:k]

    return method


def evaluate(
    source: str,
    models: Sequence[str | None] = (None,),
    *,
    settings=None,
    seed: int = 0,
    baseline_data: Sequence[str] = (),
    heldout_percent: float | None = None,
    limit: int | None = None,
    suggest_index: str | None = None,
    suggest_k: int = 3,
    with_suggest: bool = False,
    progress=None,
) -> EvalReport:
    """The `promptkit eval` report: each model (and, with `with_suggest`, its retrieval-augmented
    variant; with reranking on, also its raw output), then the two baselines when `baseline_data`
    is given."""
    from dataclasses import replace

    from .expander import ExpandSettings, get_expander

    settings = (settings or ExpandSettings(n=4)).validate()
    cases = load_cases(source, heldout_percent, limit)
    report = EvalReport(source=str(source), cases=len(cases), variants=settings.n, seed=seed)

    def settings_for(count: int):
        return settings

    suggester = None
    if with_suggest:
        from .suggestions import get_suggester

        suggester = get_suggester(suggest_index)
    for name in models or (None,):
        report.rows.append(evaluate_expander(get_expander(name), cases, settings.n, seed, settings_for, progress))
        if suggester is not None:
            from .suggestions import SuggestExpander

            steered = SuggestExpander(get_expander(name), suggester, suggest_k)
            report.rows.append(evaluate_expander(steered, cases, settings.n, seed, settings_for, progress))
        if settings.modifiers:
            raw = replace(settings, modifiers=0)
            row = evaluate_expander(get_expander(name), cases, settings.n, seed, lambda count: raw, progress)
            row.expander += " (raw model output, no reranking)"
            report.rows.append(row)
    if baseline_data:
        training = baseline_training_records(baseline_data, heldout_percent)
        k = max(1, round(report.rows[0].mean_added))  # as many modifiers as the first model adds on average
        for baseline in (PopularModifiers(training, k=k), NearestPromptModifiers(training)):
            report.rows.append(evaluate_expander(baseline, cases, settings.n, seed, settings_for, progress))
    return report
