"""Text metrics for expanders over a file of short prompts, with two baselines to beat.

Metrics (per expander): share that keep the prompt verbatim, share within the CLIP budget, mean
added modifiers, share repeating a modifier, distinct-2 across a prompt's variants, share adding
a blocklisted term, and, where the file holds short->long pairs, micro-averaged precision and
recall of the added modifiers against the real long prompt's modifiers (normalised exact match).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..core.datasets import is_heldout, read_prompts
from ..core.errors import InputError
from ..core.text import (
    CLIP_MAX_TOKENS,
    Blocklist,
    clip_token_count,
    normalize_modifier,
    split_modifiers,
    split_prompt,
)
from ..expansion.result import Expansion
from ..modifiers.relevance import get_relevance
from .baselines import NearestPromptModifiers, PopularModifiers, ReferencePrompts, baseline_training_records
from .metrics import Added, NeighbourCorpus, embed_texts, load_neighbour_corpus, subject_of, user_metrics


class ExpanderLike(Protocol):
    name: str

    def expand(self, prompt: str, seed: int | None = None, settings=None) -> list[Expansion]: ...


@dataclass(frozen=True)
class EvalCase:
    short: str
    reference: tuple[str, ...] | None  # normalised modifiers of the real long prompt, if known
    long: str | None = None  # the real long prompt of a pair (left out of its own neighbours)


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
    # What a user sees, against a neighbour corpus the expander never saw (see evaluation.metrics):
    # relevance lift, generic/conflict/redundancy shares, breadth, CLIP length, variant overlap.
    user: dict | None = None

    def to_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "user"}
        return {**data, **(self.user or {})}


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
    """Short prompts (and reference modifiers for pairs) from a txt file or a pairs file, each short prompt once.

    Pairs whose long prompt adds no modifier to the short one are no short->long pairs; they are skipped.
    """
    records = read_prompts(source)
    if heldout_percent is not None:
        records = [r for r in records if is_heldout(r, heldout_percent)]
    cases, seen = [], set()
    for record in records:
        if record.short:
            reference = tuple(sorted({normalize_modifier(m) for m in split_prompt(record.prompt).modifiers} - {""}))
            case = EvalCase(record.short, reference, record.prompt)
            if not reference or normalize_modifier(record.short) == normalize_modifier(record.prompt):
                continue
        else:
            case = EvalCase(record.prompt, None)
        if case.short.lower() not in seen:
            seen.add(case.short.lower())
            cases.append(case)
    if limit is not None:  # a spread sample, not the first rows (files keep one user's iterations together)
        cases = sorted(cases, key=lambda c: hashlib.md5(c.short.encode("utf-8")).hexdigest())[:limit]
    if not cases:
        raise InputError(f"no evaluation prompts in '{source}' after filtering; check the file and --heldout-percent")
    return cases


def evaluate_expander(expander: ExpanderLike, cases: Sequence[EvalCase], seed: int, settings, progress=None,
                      neighbours: NeighbourCorpus | None = None) -> EvalRow:
    """Expand every case (`settings.n` variants each, one seeded call) and compute the metrics."""
    blocklist = Blocklist()
    keep = within = repeats = blocked = total = 0
    added_total = 0
    hits = predicted = relevant = 0
    distinct_scores = []
    added_by_variant: list[Added] = []
    for done, case in enumerate(cases, 1):
        expansions = expander.expand(case.short, seed=seed, settings=settings)
        added_by_variant += [Added(case.short, exp.added, exp.index) for exp in expansions]
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
    user = None
    if neighbours is not None:
        queries = dict(zip([c.short for c in cases], embed_texts([subject_of(c.short) for c in cases])))
        generic = get_relevance().generic_set
        user = user_metrics(added_by_variant, queries, neighbours, generic, {c.short: c.long for c in cases if c.long})
    return EvalRow(
        expander=expander.name, prompts=len(cases), expansions=total,
        keep_prompt=keep / total, within_budget=within / total, mean_added=added_total / total,
        repeat_modifier=repeats / total, distinct_2=sum(distinct_scores) / len(distinct_scores) if distinct_scores else 0.0,
        blocklisted=blocked / total,
        precision=(hits / predicted if predicted else 0.0) if has_reference else None,
        recall=(hits / relevant if relevant else 0.0) if has_reference else None, user=user,
    )


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
    neighbours: Sequence[str] = (),
    progress=None,
) -> EvalReport:
    """The `promptkit eval` report: each model (and, with `with_suggest`, its retrieval-augmented
    variant; with selection on, also its raw output), then the baselines when `baseline_data` is
    given, and the real reference prompts of pairs. With `neighbours` (prompt files the expander
    never trained on), every row also gets the user-facing metrics of `evaluation.metrics`."""
    from dataclasses import replace

    from ..expansion.expander import ExpandSettings, get_expander

    settings = (settings or ExpandSettings(n=4))
    cases = load_cases(source, heldout_percent, limit)
    report = EvalReport(source=str(source), cases=len(cases), variants=settings.n, seed=seed)
    corpus = None
    if neighbours:
        embedding = (lambda done, total: progress("neighbour corpus", done, total)) if progress else None
        corpus = load_neighbour_corpus(neighbours, get_relevance().artists, heldout_percent, embedding)

    def run(expander, run_settings=settings):
        return evaluate_expander(expander, cases, seed, run_settings, progress, corpus)

    suggester = None
    if with_suggest:
        from ..retrieval.suggest import get_suggester

        suggester = get_suggester(suggest_index)
    for name in models or (None,):
        report.rows.append(run(get_expander(name)))
        if suggester is not None:
            from ..expansion.steering import SuggestExpander

            report.rows.append(run(SuggestExpander(get_expander(name), suggester, suggest_k)))
        if settings.min_modifiers:
            row = run(get_expander(name), replace(settings, min_modifiers=0))
            row.expander += " (raw model output)"
            report.rows.append(row)
    if baseline_data:
        training = baseline_training_records(baseline_data, heldout_percent)
        k = max(1, round(report.rows[0].mean_added))  # as many modifiers as the first model adds on average
        for baseline in (PopularModifiers(training, k=k), NearestPromptModifiers(training)):
            report.rows.append(run(baseline))
    if any(c.long for c in cases):
        report.rows.append(run(ReferencePrompts(cases), replace(settings, n=1)))
    return report
