"""An index's prompts grouped into topics, each labelled by its distinctive words and modifiers.

`topics(index=None, k=None)` returns the index's `Topics`: computed on first use (PCA-reduced
vectors, `clustering`, `labels`) and kept inside the index folder (`stored`), so later calls read
them back at once until the index is rebuilt. Every prompt belongs to exactly one topic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.errors import InputError
from ..core.text import split_prompt
from ..retrieval.index import Index, get_index
from . import clustering, labels, stored
from .vectors import one_thread, reduced

MIN_PROMPTS = 50
SEED = 0
METHOD = 5  # bumped when topics are computed differently: stored ones made before are computed anew


@dataclass(frozen=True)
class Topic:
    """One topic: its label, size, distinctive words and modifiers (with counts), and example prompts."""

    id: int
    label: str
    size: int
    words: tuple[str, ...]
    modifiers: tuple[tuple[str, int], ...]
    examples: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "size": self.size, "words": list(self.words),
                "modifiers": [{"modifier": m, "prompts": c} for m, c in self.modifiers], "examples": list(self.examples)}

    @classmethod
    def from_dict(cls, data: dict) -> Topic:
        return cls(int(data["id"]), str(data["label"]), int(data["size"]), tuple(data["words"]),
                   tuple((m["modifier"], int(m["prompts"])) for m in data["modifiers"]), tuple(data["examples"]))


@dataclass(frozen=True, eq=False)
class Topics:
    """The topics of one index, largest first; `assignments[i]` is prompt i's topic id."""

    index_name: str
    prompts: int
    topics: tuple[Topic, ...]
    assignments: np.ndarray
    k_from_data: bool  # False when k was given
    silhouettes: dict  # candidate k -> silhouette, when k was chosen from the data
    seconds: float  # time the computation took (when it was made)
    cached: bool  # True: read back from the index folder

    def __post_init__(self) -> None:
        self.assignments.setflags(write=False)  # frozen all the way down

    def __len__(self) -> int:
        return len(self.topics)

    def __iter__(self):
        return iter(self.topics)

    def __getitem__(self, i: int) -> Topic:
        return self.topics[i]

    def header(self) -> dict:
        return {"k": len(self.topics), "k_from_data": self.k_from_data, "silhouettes": {str(k): v for k, v in self.silhouettes.items()},
                "seconds": round(self.seconds, 2), "topics": [t.to_dict() for t in self.topics]}


def require_prompts(index: Index) -> None:
    if index.size < MIN_PROMPTS:
        raise InputError(f"index '{index.name}' has {index.size} prompts; topics and the atlas need at least {MIN_PROMPTS}; "
                         "build an index over more prompts with `promptkit index build SOURCE`")


def hidden_rows(index: Index) -> np.ndarray | None:
    """Prompts flagged NSFW in an index built with --keep-nsfw: never shown as examples or on the map."""
    return index.nsfw if index.manifest.get("keep_nsfw") and index.nsfw.any() else None


def compute_topics(index: Index, k: int | None = None, vectors: Callable[[], np.ndarray] | None = None) -> Topics:
    """Cluster every prompt of `index` and describe each cluster (nothing is stored)."""
    require_prompts(index)
    k = clustering.validate_topic_count(k, index.size)
    started = time.perf_counter()
    vectors = reduced(index.embeddings, SEED) if vectors is None else vectors()
    found = clustering.cluster(vectors, k, SEED)
    count = len(found.centres)
    prompts = [index.prompt(i) for i in range(index.size)]
    # Labels say what the prompts show: words of the subject (the first clause), the modifiers are listed on their own.
    words = labels.topic_words([split_prompt(p).subject or p for p in prompts], found.labels, count)
    if not all(words):  # a topic whose subjects share no word: its whole prompts'
        whole = labels.topic_words(prompts, found.labels, count)
        words = [w or other for w, other in zip(words, whole)]
    modifiers = labels.topic_modifiers(index.vocab, index.modifier_ids, index.modifier_offsets, found.labels, count)
    chosen = labels.examples(index.prompt, vectors, found.labels, found.centres, hidden_rows(index), words)
    sizes = np.bincount(found.labels, minlength=count)
    names = labels.labels_for(words)
    described = tuple(Topic(t, names[t], int(sizes[t]), tuple(words[t]), tuple(modifiers[t]), tuple(chosen[t])) for t in range(count))
    return Topics(index.name, index.size, described, found.labels, found.k_from_data, found.scores,
                  time.perf_counter() - started, cached=False)


def _from_stored(index: Index, header: dict, arrays: dict) -> Topics | None:
    try:
        described = tuple(Topic.from_dict(t) for t in header["topics"])
        assignments = arrays["assignments"].astype(np.int32)
        silhouettes = {int(k): float(v) for k, v in header.get("silhouettes", {}).items()}
        valid = assignments.shape == (index.size,) and len(described) > 0 and int(assignments.max()) < len(described)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not valid or assignments.min() < 0 or header.get("method") != METHOD:
        return None
    return Topics(index.name, index.size, described, assignments, bool(header.get("k_from_data")), silhouettes,
                  float(header.get("seconds", 0.0)), cached=True)


def load_topics(index: Index, k: int | None = None, vectors: Callable[[], np.ndarray] | None = None) -> Topics:
    """The stored topics of `index` when they match (any k when `k` is None), else computed and stored.

    `vectors()`, when given, returns the reduced vectors (shared with the map, so they are computed once)."""
    require_prompts(index)
    clustering.validate_topic_count(k, index.size)
    stamp = stored.index_stamp(index)
    found = stored.read_stored(index.path, stored.TOPICS_FILE, stamp)
    if found is not None:
        result = _from_stored(index, *found)
        if result is not None and (k is None or found[0].get("k_requested") == k):
            return result
    with one_thread():
        result = compute_topics(index, k, vectors)
    header = dict(result.header(), k_requested=k, method=METHOD)
    stored.write_stored(index.path, stored.TOPICS_FILE, stamp, header, {"assignments": result.assignments.astype(np.int16)})
    return result


def topics(index: str | Index | None = None, k: int | None = None) -> Topics:
    """The topics of `index` (default: the most recently built), with `k` topics or as many as the data suggests."""
    loaded = index if isinstance(index, Index) else get_index(index)
    return load_topics(loaded, k)
