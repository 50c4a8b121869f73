"""What makes each topic distinct: c-TF-IDF over its prompts' words and over their modifiers.

c-TF-IDF (class-based TF-IDF, as in BERTopic) treats each topic as one document: a term's
weight in a topic is its share of the topic's terms times log(1 + A / f), where A is the average
number of terms a topic has and f how often the term occurs in all topics together. Words that
are frequent in the topic and rare elsewhere win; "highly detailed", in a third of all prompts,
does not. Words are counted once a prompt. Modifiers come from the index's own statistics (the
modifier table every index carries), scored by share times log-lift so that what every topic uses
("8k", "highly detailed") is left out; only candidate modifiers (`modifiers.vocabulary`) are shown.
"""

from __future__ import annotations

import re

import numpy as np

from ..modifiers.vocabulary import is_candidate

TOKEN = r"(?u)\b[^\W\d_][^\W\d_]{2,}\b"  # words of 3+ letters, no digits
# Words that say nothing about a topic in Stable Diffusion prompts, beyond English stop words.
PROMPT_STOP_WORDS = frozenset("""
art artwork artstation trending detailed highly high quality resolution style digital render rendered painting
image picture photo featured masterpiece best ultra hyper realistic intricate sharp focus illustration concept
octane unreal engine beautiful epic cinematic lighting light professional wallpaper hdr uhd very extremely
""".split())
LABEL_WORDS = 3
MIN_LIFT = 1.5  # a distinctive modifier is used at least 1.5 times as often in the topic as in the whole index


def c_tf_idf(counts) -> np.ndarray:
    """Dense topics x terms weights from a (sparse or dense) topics x terms count matrix."""
    counts = counts.toarray() if hasattr(counts, "toarray") else np.asarray(counts)
    counts = counts.astype(np.float64)
    per_topic = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(per_topic, 1)
    average = counts.sum() / max(len(counts), 1)
    frequency = counts.sum(axis=0)
    return tf * np.log1p(average / np.maximum(frequency, 1))


def _indicator(labels: np.ndarray, k: int):
    from scipy.sparse import csr_matrix

    return csr_matrix((np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))), shape=(k, len(labels)))


def topic_words(prompts: list[str], labels: np.ndarray, k: int, top: int = 8) -> list[list[str]]:
    """The `top` most distinctive words of each topic, best first."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = sorted(ENGLISH_STOP_WORDS | PROMPT_STOP_WORDS)
    vectorizer = CountVectorizer(token_pattern=TOKEN, lowercase=True, stop_words=stop, binary=True,
                                 min_df=min(2, len(prompts)), dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(prompts)
    except ValueError:  # no word survives (prompts of digits and stop words only)
        return [[] for _ in range(k)]
    vocabulary = vectorizer.get_feature_names_out()
    counts = (_indicator(labels, k) @ matrix).toarray()
    weights = c_tf_idf(counts)
    sizes = np.bincount(labels, minlength=k)
    words = []
    for topic in range(k):
        # A label word is in at least 2% of the topic's prompts (twice, in small topics).
        usable = counts[topic] >= max(2, 0.02 * sizes[topic])
        order = [i for i in np.argsort(-weights[topic], kind="stable") if usable[i] and weights[topic, i] > 0]
        words.append([str(vocabulary[i]) for i in order[:top]])
    return words


def _distinct(words: list[str]) -> list[str]:
    chosen: list[str] = []
    for word in words:
        if not any(word in other or other in word for other in chosen):
            chosen.append(word)
    return chosen


def labels_for(words: list[list[str]]) -> list[str]:
    """A short label a topic from its first distinctive words ('castle · clouds · sky'), no two alike:
    a topic whose label an earlier (larger) topic has takes its later words instead."""
    taken: set[str] = set()
    result = []
    for topic, candidates in enumerate(words):
        distinct = _distinct(candidates)
        options = [" · ".join(distinct[:LABEL_WORDS])] + [" · ".join(distinct[:LABEL_WORDS - 1] + [w]) for w in distinct[LABEL_WORDS:]]
        text = next((o for o in options if o and o not in taken), None) or (options[0] or "topic") + f" ({topic + 1})"
        taken.add(text)
        result.append(text)
    return result


def topic_modifiers(vocab: list[str], modifier_ids: np.ndarray, modifier_offsets: np.ndarray, labels: np.ndarray, k: int,
                    top: int = 6) -> list[list[tuple[str, int]]]:
    """Each topic's most distinctive candidate modifiers with how many of its prompts use them.

    Scored share x log(lift) (lift: the topic's share over the index's), from at least `MIN_LIFT`:
    "highly detailed", in a third of all prompts, is in no topic's list for being common."""
    from scipy.sparse import coo_matrix

    per_row = np.diff(modifier_offsets)
    rows = np.repeat(labels, per_row)
    ids = np.asarray(modifier_ids, dtype=np.int64)
    counts = coo_matrix((np.ones(len(ids), dtype=np.float32), (rows, ids)), shape=(k, max(len(vocab), 1))).tocsr()
    used = np.unique(ids)
    candidates = np.array([i for i in used if is_candidate(vocab[i])], dtype=np.int64)
    if len(candidates) == 0:
        return [[] for _ in range(k)]
    dense = counts[:, candidates].toarray()
    sizes = np.bincount(labels, minlength=k)
    share = dense / np.maximum(sizes, 1)[:, None]
    lift = share / np.maximum(dense.sum(axis=0) / max(len(labels), 1), 1e-12)
    weights = share * np.log(np.maximum(lift, 1e-12))  # used often here, and more often than elsewhere
    result = []
    for topic in range(k):
        usable = (dense[topic] >= max(2, 0.015 * sizes[topic])) & (lift[topic] >= MIN_LIFT)
        order = [i for i in np.argsort(-weights[topic], kind="stable") if usable[i]]
        result.append([(vocab[candidates[i]], int(dense[topic, i])) for i in order[:top]])
    return result


_SPACE = re.compile(r"\s+")


EXAMPLE_SCAN = 2_000  # members per topic searched, nearest first, for examples that name the topic


def examples(prompts_of, vectors: np.ndarray, labels: np.ndarray, centres: np.ndarray, hidden: np.ndarray | None,
             words: list[list[str]] | None = None, count: int = 3) -> list[list[str]]:
    """Each topic's `count` prompts nearest its centre (distinct ones, flagged prompts left out), preferring
    those of 4+ words that name one of the topic's `words`: in a mixed topic the most central prompts can
    be off-topic ("what are you thinking?" in "trump · donald · man", "hell" in "concert · rock · guitar")."""
    result = []
    for topic in range(len(centres)):
        members = np.flatnonzero(labels == topic)
        if hidden is not None:
            members = members[~hidden[members]]
        distances = ((vectors[members] - centres[topic]) ** 2).sum(axis=1)
        order = members[np.argsort(distances, kind="stable")[:EXAMPLE_SCAN]]
        named = words[topic] if words else []
        nearest, naming = [], []
        for position, i in enumerate(order):
            text = _SPACE.sub(" ", prompts_of(int(i)))
            if position < count * 8:
                nearest.append(text)
            if named and len(text.split()) >= 4 and _names_any(text, named) and text not in naming:
                naming.append(text)
            if position >= count * 8 and len(naming) >= count:
                break
        # Then the nearest: those naming a word, then those of 4+ words ("shit" says little).
        nearest.sort(key=lambda text: (not _names_any(text, named), len(text.split()) < 4))
        result.append(list(dict.fromkeys([*naming, *nearest]))[:count])
    return result


def _names_any(text: str, words: list[str]) -> bool:
    found = set(re.findall(r"[\w']+", text.lower()))
    return any(all(part in found for part in word.split()) for word in words)
