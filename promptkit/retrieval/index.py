"""A loaded prompt search index: nearest-neighbour search over memory-mapped vectors.

The folder format is in `index_files`, names and paths in `store`, building in `building`, search
in `ann` (exact for small indexes, an HNSW graph re-scored exactly for big ones). float16 keeps 1M
x 384 vectors in 768 MB, and memory mapping makes loading instant. Queries to an index built with
the packaged all-MiniLM-L6-v2 are embedded by `core.minilm` in numpy: no torch or transformers.

`search` on an index built with the static embedder re-scores the static top `RERANK` (or top k
when k is larger) with exact MiniLM in numpy (the query and those prompts, `core.minilm`), so the
hits and their scores are MiniLM's: the static vectors find candidates, MiniLM orders them.
BENCHMARKS.md ("Index") has the agreement with exact MiniLM search and the cost.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.datasets import CleanStats
from ..core.errors import InputError, SearchIndexError
from . import ann
from .building import BuildOutcome, build_index
from .embedding import query_vector
from .index_files import read_index_files
from .results import SearchHit
from .static_embedder import is_static
from .store import index_path, most_recent_index

MAX_K = 1000
RERANK = 20  # static indexes: candidates `search` re-scores with MiniLM (at least k)


@dataclass(frozen=True)
class BuildResult:
    """A build's outcome (`building.BuildOutcome`: stats, skipped, seconds) and the index it left."""

    index: Index
    outcome: BuildOutcome

    @property
    def stats(self) -> CleanStats:
        return self.outcome.stats

    @property
    def skipped(self) -> bool:
        return self.outcome.skipped

    @property
    def seconds(self) -> float:
        return self.outcome.seconds

    def to_dict(self) -> dict:
        return {"name": self.index.name, "path": str(self.index.path), "skipped": self.skipped,
                "seconds": round(self.seconds, 2), "prompts": self.index.size, "stats": self.stats.to_dict()}


class Index:
    """A loaded index: memory-mapped vectors, prompts, modifier statistics and its manifest."""

    def __init__(self, path: Path, manifest: dict, embeddings: np.ndarray, prompt_blob: np.ndarray,
                 prompt_offsets: np.ndarray, nsfw: np.ndarray, vocab: list[str], vocab_counts: np.ndarray,
                 modifier_ids: np.ndarray, modifier_offsets: np.ndarray, graph=None):
        self.path = path
        self.manifest = manifest
        self.embeddings = embeddings
        self._blob = prompt_blob
        self._offsets = prompt_offsets
        self.nsfw = nsfw
        self.vocab = vocab
        self.vocab_counts = vocab_counts
        self.modifier_ids = modifier_ids
        self.modifier_offsets = modifier_offsets
        self.graph = graph  # usearch HNSW graph (big indexes) or None (exact search)

    # -- properties

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return int(self.embeddings.shape[0])

    @property
    def embedder(self) -> str:
        return self.manifest["embedder"]["name"]

    def prompt(self, i: int) -> str:
        return bytes(self._blob[self._offsets[i]:self._offsets[i + 1]]).decode("utf-8")

    def modifiers_of(self, i: int) -> np.ndarray:
        return self.modifier_ids[self.modifier_offsets[i]:self.modifier_offsets[i + 1]]

    # -- building

    @classmethod
    def build(cls, sources: str | Path | Sequence[str | Path], name: str | None = None, **options) -> BuildResult:
        """Read, clean, embed and save an index; see `building.build_index` for the options."""
        outcome = build_index(sources, name, **options)
        return BuildResult(cls.open(outcome.path), outcome)

    @classmethod
    def load(cls, name: str | Path | None = None) -> Index:
        """Load an index by name (default: the most recently built) or from a folder path."""
        if name is None:
            name = most_recent_index()
            if name is None:
                raise SearchIndexError("no index built yet; build one with: promptkit index build PROMPTS.jsonl")
        path = Path(name) if isinstance(name, Path) or os.sep in str(name) else index_path(str(name))
        if not path.is_dir():
            raise SearchIndexError(f"no index named '{name}'; see `promptkit index list` or build it with `promptkit index build SOURCE --name {name}`")
        return cls.open(path)

    @classmethod
    def open(cls, path: Path) -> Index:
        files = read_index_files(path)
        return cls(files.path, files.manifest, files.embeddings, files.prompt_blob, files.prompt_offsets, files.nsfw,
                   files.vocab, files.vocab_counts, files.modifier_ids, files.modifier_offsets, files.ann)

    # -- searching

    def nearest(self, vector: np.ndarray, k: int, include_nsfw: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and cosine scores of the k most similar prompts, best first (`ann.nearest`)."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.embeddings.shape[1]:
            raise SearchIndexError(
                f"query vector has {query.shape[0]} dimensions but index '{self.name}' has {self.embeddings.shape[1]}; "
                f"query it with its own embedder ({self.embedder})"
            )
        hidden = self.nsfw if (not include_nsfw and self.manifest.get("keep_nsfw") and self.nsfw.any()) else None
        return ann.nearest(self.embeddings, self.graph, query, k, hidden)

    def search_vector(self, vector: np.ndarray, k: int = 10, include_nsfw: bool = False) -> list[SearchHit]:
        """The k prompts nearest `vector` (made by the index's own embedder), scored by it: no re-scoring."""
        return self._hits(*self.nearest(vector, k, include_nsfw))

    def _hits(self, ids: np.ndarray, scores: np.ndarray) -> list[SearchHit]:
        return [SearchHit(prompt=self.prompt(int(i)), score=round(float(s), 4), rank=r + 1, index_name=self.name,
                          modifiers=tuple(self.vocab[m] for m in self.modifiers_of(int(i))), nsfw=bool(self.nsfw[i]))
                for r, (i, s) in enumerate(zip(ids, scores))]

    def search(self, query: str, k: int = 10, include_nsfw: bool = False, rerank: bool = True) -> list[SearchHit]:
        """The k prompts most similar to `query`, embedded with the index's own embedder; on a static
        index (and `rerank`), the top max(k, RERANK) re-scored with exact MiniLM (scores are MiniLM's)."""
        query = validate_query(query)
        validate_k(k)
        vector = self.embed_query(query)
        if not (rerank and self.reranks):
            return self.search_vector(vector, k, include_nsfw)
        from ..core.minilm import packaged_minilm

        ids, _ = self.nearest(vector, max(k, RERANK), include_nsfw)
        if not len(ids):
            return []
        model = packaged_minilm()
        scores = model.encode_many([self.prompt(int(i)) for i in ids]) @ model.encode(query)
        best = np.argsort(-scores, kind="stable")[:k]
        return self._hits(ids[best], scores[best])

    @property
    def reranks(self) -> bool:
        """Whether `search` re-scores candidates with MiniLM: indexes built with the static embedder."""
        return is_static(str(self.manifest["embedder"]["name"]))

    def embed_query(self, text: str) -> np.ndarray:
        """`text` embedded as this index's prompts were (`embedding.query_vector`)."""
        info = self.manifest["embedder"]
        vector = query_vector(text, info, f"index '{self.name}'")
        if vector.shape[0] != self.embeddings.shape[1]:
            raise SearchIndexError(f"embedder '{info['name']}' now gives {vector.shape[0]}-dimensional vectors, the index holds {self.embeddings.shape[1]}; rebuild the index")
        return vector


def validate_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InputError('query is empty; pass some text, e.g. promptkit search "a castle in the clouds"')
    return query.strip()


def validate_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, got {k!r}; pass e.g. -k 10")
    return k


_LOADED: dict[str, tuple[tuple, Index]] = {}


def get_index(name: str | None = None) -> Index:
    """A cached loaded index (reloaded when its folder is rebuilt or replaced)."""
    name = name or most_recent_index()
    if name is None:
        raise SearchIndexError("no index built yet; build one with: promptkit index build PROMPTS.jsonl")
    path = index_path(name)
    try:
        # A rebuild renames a new folder into place: a new inode, whatever the timestamps say.
        stamp = tuple((f.stat().st_ino, f.stat().st_mtime_ns, f.stat().st_size) for f in (path, path / "manifest.json", path / "embeddings.npy"))
    except OSError:
        return Index.load(name)  # missing or incomplete: let load say what is wrong
    key = str(path.resolve())
    cached = _LOADED.get(key)
    if cached is None or cached[0] != stamp:
        _LOADED[key] = (stamp, Index.load(name))
    return _LOADED[key][1]


def search(query: str, k: int = 10, *, index: str | Index | None = None, include_nsfw: bool = False,
           rerank: bool = True) -> list[SearchHit]:
    """The k prompts most similar to `query` in `index` (default: the most recently built one); see `Index.search`."""
    validate_query(query)
    validate_k(k)
    loaded = index if isinstance(index, Index) else get_index(index)
    return loaded.search(query, k, include_nsfw, rerank)
