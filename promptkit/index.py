"""The prompt search index: build, save, load, exact search, modifier statistics.

An index is a folder in the user data directory (`promptkit.config.indexes_dir()`):

    manifest.json         source, content hash, embedder, sizes, cleaning stats, promptkit version
    embeddings.npy        float16 unit vectors, one row per prompt (memory-mapped on load)
    prompts.bin           UTF-8 prompts back to back; prompt_offsets.npy (int64, n + 1) slices them
    nsfw.npy              bool flag per prompt (all False unless built with keep_nsfw)
    modifiers.json        the modifier vocabulary: [normalised modifier, prompts using it]
    modifier_ids.npy      int32 vocabulary ids of each prompt's modifiers, back to back;
                          modifier_offsets.npy (int64, n + 1) slices them

float16 keeps 1M x 384 vectors in 768 MB, and memory mapping makes loading instant. Search is
exact: one matrix-vector product (torch's float16 kernel, ~15x faster than numpy's) and a top-k.
Every build writes to a temporary folder renamed into place only when complete, so an
interrupted build leaves the previous index as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from . import __version__, config
from .datasets import CleanStats, clean_prompts, read_prompts_lenient
from .errors import InputError, SearchIndexError, first_line
from .prompts import normalize_modifier, split_prompt
from .types import SearchHit

FORMAT_VERSION = 1
MAX_K = 1000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FILES = ("manifest.json", "embeddings.npy", "prompts.bin", "prompt_offsets.npy", "nsfw.npy",
          "modifiers.json", "modifier_ids.npy", "modifier_offsets.npy")

# progress(phase, done, total): phase is "read", "embed" or "write".
BuildProgress = Callable[[str, int, int], None]


def validate_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InputError(f"index name {name!r} is not allowed; use letters, digits, '.', '-' or '_' (e.g. --name my-prompts)")
    return name


def default_name(sources: Sequence[str]) -> str:
    """An index name from the first source: the file stem, or the hub id's last part."""
    stem = Path(str(sources[0]).rstrip("/")).stem or "prompts"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "prompts"


def index_path(name: str) -> Path:
    return config.indexes_dir() / validate_name(name)


# --- modifier statistics --------------------------------------------------------------------


def prompt_modifiers(prompt: str) -> list[str]:
    """The normalised, de-duplicated modifier phrases of a prompt (everything after the subject)."""
    seen: dict[str, None] = {}
    for modifier in split_prompt(prompt).modifiers:
        key = normalize_modifier(modifier)
        if key:
            seen.setdefault(key, None)
    return list(seen)


def modifier_table(prompts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Vocabulary (most used first), prompts per modifier, and each prompt's ids in CSR form."""
    per_prompt = [prompt_modifiers(p) for p in prompts]
    counts = Counter(m for mods in per_prompt for m in mods)
    vocab = [m for m, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    ids = {m: i for i, m in enumerate(vocab)}
    offsets = np.zeros(len(prompts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(mods) for mods in per_prompt])
    flat = np.fromiter((ids[m] for mods in per_prompt for m in mods), dtype=np.int32, count=int(offsets[-1]))
    return vocab, np.array([counts[m] for m in vocab], dtype=np.int64), flat, offsets


def content_hash(prompts: Sequence[str], flags: Sequence[bool]) -> str:
    digest = hashlib.sha256()
    for prompt, flag in zip(prompts, flags):
        digest.update(prompt.encode("utf-8"))
        digest.update(b"\x01" if flag else b"\x00")
    return digest.hexdigest()


# --- the index ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildResult:
    index: "Index"
    stats: CleanStats
    skipped: bool  # True: an index over the same prompts with the same embedder already existed
    seconds: float

    def to_dict(self) -> dict:
        return {"name": self.index.name, "path": str(self.index.path), "skipped": self.skipped,
                "seconds": round(self.seconds, 2), "prompts": self.index.size, "stats": self.stats.to_dict()}


class Index:
    """A loaded index: memory-mapped vectors, prompts, modifier statistics and its manifest."""

    def __init__(self, path: Path, manifest: dict, embeddings: np.ndarray, prompt_blob: np.ndarray,
                 prompt_offsets: np.ndarray, nsfw: np.ndarray, vocab: list[str], vocab_counts: np.ndarray,
                 modifier_ids: np.ndarray, modifier_offsets: np.ndarray):
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
        self._matrix = None

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
    def build(
        cls, sources: str | Path | Sequence[str | Path], name: str | None = None, *, column: str | None = None,
        embedder: str | None = None, keep_nsfw: bool = False, exclude_heldout: float | None = None,
        processes: int = 1, fast: bool = True, force: bool = False, progress: BuildProgress | None = None,
    ) -> BuildResult:
        """Read, clean, embed and save an index (skipped when the same prompts and embedder exist)."""
        from .embedding import EmbedSettings, canonical_embedder_name, get_embedder

        started = time.perf_counter()
        sources = [str(s) for s in ([sources] if isinstance(sources, (str, Path)) else sources)]
        if not sources:
            raise InputError("no dataset given; pass a csv/tsv/jsonl/parquet/txt file or a hub dataset id")
        name = validate_name(name or default_name(sources))
        settings = EmbedSettings(fast=fast, processes=processes).validate()
        records, malformed = [], 0
        for number, source in enumerate(sources, 1):
            rows, bad = read_prompts_lenient(source, column=column)
            records += rows
            malformed += bad
            if progress:
                progress("read", number, len(sources))
        prompts, flags, stats = clean_prompts(records, malformed, keep_nsfw=keep_nsfw, exclude_heldout=exclude_heldout)
        if not prompts:
            raise InputError(f"no prompts left in {', '.join(sources)} after cleaning ({_stats_line(stats)}); pass another dataset or --keep-nsfw")
        digest = content_hash(prompts, flags)
        embedder_name = canonical_embedder_name(embedder)
        target = index_path(name)
        if not force and _same_build(target, digest, embedder_name, fast):
            return BuildResult(cls.load(name), stats, skipped=True, seconds=time.perf_counter() - started)

        model = get_embedder(embedder_name, settings)
        vectors = model.encode(prompts, progress=(lambda d, t: progress("embed", d, t)) if progress else None)
        vocab, vocab_counts, modifier_ids, modifier_offsets = modifier_table(prompts)
        manifest = {
            "format": FORMAT_VERSION, "name": name, "sources": sources, "content_hash": digest,
            "embedder": {"name": embedder_name, "dim": int(vectors.shape[1]), "fast": fast,
                         "max_tokens": settings.max_tokens if fast else None},
            "prompts": len(prompts), "modifiers": len(vocab), "dtype": "float16",
            "keep_nsfw": keep_nsfw, "exclude_heldout": exclude_heldout, "cleaning": stats.to_dict(),
            "promptkit_version": __version__, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        _write_atomically(target, manifest, vectors, prompts, flags, vocab, vocab_counts, modifier_ids, modifier_offsets)
        if progress:
            progress("write", 1, 1)
        return BuildResult(cls.load(name), stats, skipped=False, seconds=time.perf_counter() - started)

    # -- loading

    @classmethod
    def load(cls, name: str | Path | None = None) -> "Index":
        """Load an index by name (default: the most recently built) or from a folder path."""
        if name is None:
            name = most_recent_index()
            if name is None:
                raise SearchIndexError("no index built yet; build one with: promptkit index build PROMPTS.jsonl")
        path = Path(name) if isinstance(name, Path) or os.sep in str(name) else index_path(str(name))
        if not path.is_dir():
            raise SearchIndexError(f"no index named '{name}'; see `promptkit index list` or build it with `promptkit index build SOURCE --name {name}`")
        return _load_folder(path)

    # -- searching

    def _torch_matrix(self):
        if self._matrix is None:
            import torch

            # A read-only memory map; torch only reads it (the warning about writability does not apply).
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self._matrix = torch.from_numpy(self.embeddings)
        return self._matrix

    def nearest(self, vector: np.ndarray, k: int, include_nsfw: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and cosine scores of the k most similar prompts, best first (exact search)."""
        import torch

        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.embeddings.shape[1]:
            raise SearchIndexError(
                f"query vector has {query.shape[0]} dimensions but index '{self.name}' has {self.embeddings.shape[1]}; "
                f"query it with its own embedder ({self.embedder})"
            )
        with torch.inference_mode():
            scores = (self._torch_matrix() @ torch.from_numpy(query).to(torch.float16)).float()
            if not include_nsfw and self.manifest.get("keep_nsfw"):
                scores[torch.from_numpy(self.nsfw)] = -2.0
            k = min(k, self.size)
            top = torch.topk(scores, k)
        keep = top.values.numpy() > -2.0
        return top.indices.numpy()[keep], top.values.numpy()[keep]

    def search_vector(self, vector: np.ndarray, k: int = 10, include_nsfw: bool = False) -> list[SearchHit]:
        ids, scores = self.nearest(vector, k, include_nsfw)
        return [SearchHit(prompt=self.prompt(int(i)), score=round(float(s), 4), rank=r + 1, index=self.name,
                          modifiers=tuple(self.vocab[m] for m in self.modifiers_of(int(i))), nsfw=bool(self.nsfw[i]))
                for r, (i, s) in enumerate(zip(ids, scores))]

    def search(self, query: str, k: int = 10, include_nsfw: bool = False) -> list[SearchHit]:
        """The k prompts most similar to `query`, embedded with the index's own embedder."""
        query = validate_query(query)
        validate_k(k)
        return self.search_vector(self.embed_query(query), k, include_nsfw)

    def embed_query(self, text: str) -> np.ndarray:
        from .embedding import EmbedSettings, get_embedder

        info = self.manifest["embedder"]
        settings = EmbedSettings(fast=bool(info.get("fast", True)), max_tokens=info.get("max_tokens") or 77)
        vector = get_embedder(info["name"], settings).encode([text])[0]
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


def _stats_line(stats: CleanStats) -> str:
    parts = [f"{stats.rows} rows"]
    for key in ("malformed", "empty", "duplicates", "nsfw_dropped", "heldout_dropped"):
        if getattr(stats, key):
            parts.append(f"{getattr(stats, key)} {key.replace('_', ' ')}")
    return ", ".join(parts)


# --- files ----------------------------------------------------------------------------------


def _same_build(target: Path, digest: str, embedder: str, fast: bool) -> bool:
    """An existing, loadable index over the same prompts, embedder and encoding."""
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        same = (manifest.get("content_hash") == digest and manifest["embedder"]["name"] == embedder
                and manifest["embedder"].get("fast", True) == fast and manifest.get("format") == FORMAT_VERSION)
        return same and _load_folder(target) is not None
    except (OSError, ValueError, KeyError, TypeError, SearchIndexError):
        return False


def _write_atomically(target: Path, manifest: dict, vectors: np.ndarray, prompts: Sequence[str], flags: Sequence[bool],
                      vocab: list[str], vocab_counts: np.ndarray, modifier_ids: np.ndarray, modifier_offsets: np.ndarray) -> None:
    """Write every file into a temporary sibling folder, then swap it in with renames."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{os.getpid()}"
    old = target.parent / f".old-{target.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        np.save(tmp / "embeddings.npy", vectors.astype(np.float16))
        encoded = [p.encode("utf-8") for p in prompts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(b) for b in encoded])
        (tmp / "prompts.bin").write_bytes(b"".join(encoded))
        np.save(tmp / "prompt_offsets.npy", offsets)
        np.save(tmp / "nsfw.npy", np.asarray(flags, dtype=bool))
        (tmp / "modifiers.json").write_text(json.dumps([[m, int(c)] for m, c in zip(vocab, vocab_counts)], ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "modifier_ids.npy", modifier_ids)
        np.save(tmp / "modifier_offsets.npy", modifier_offsets)
        manifest = dict(manifest, bytes={f: (tmp / f).stat().st_size for f in _FILES if f != "manifest.json"})
        # The manifest goes last: a folder without one was never finished.
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            old.rename(target)  # put the previous index back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _load_folder(path: Path) -> Index:
    name = path.name
    fix = f"rebuild it with `promptkit index build SOURCE --name {name}` or remove it with `promptkit index remove {name}`"
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SearchIndexError(f"index '{name}' is incomplete (no manifest.json); {fix}") from None
    except (OSError, ValueError):
        raise SearchIndexError(f"index '{name}' is corrupted (unreadable manifest.json); {fix}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise SearchIndexError(f"index '{name}' has an unknown format (made by another promptkit version?); {fix}")
    try:
        embeddings = np.load(path / "embeddings.npy", mmap_mode="r")
        offsets = np.load(path / "prompt_offsets.npy")
        blob = np.memmap(path / "prompts.bin", dtype=np.uint8, mode="r") if offsets[-1] else np.zeros(0, np.uint8)
        nsfw = np.load(path / "nsfw.npy")
        vocab_rows = json.loads((path / "modifiers.json").read_text(encoding="utf-8"))
        modifier_ids = np.load(path / "modifier_ids.npy", mmap_mode="r")
        modifier_offsets = np.load(path / "modifier_offsets.npy")
    except FileNotFoundError as exc:
        raise SearchIndexError(f"index '{name}' is incomplete (missing {Path(exc.filename).name}); {fix}") from None
    except (OSError, ValueError, EOFError) as exc:
        raise SearchIndexError(f"index '{name}' is corrupted or truncated ({first_line(exc, 120)}); {fix}") from None
    n = manifest.get("prompts")
    dim = manifest.get("embedder", {}).get("dim")
    consistent = (
        embeddings.ndim == 2 and embeddings.shape == (n, dim) and embeddings.dtype == np.float16
        and offsets.shape == (n + 1,) and blob.shape[0] == offsets[-1] and nsfw.shape == (n,)
        and modifier_offsets.shape == (n + 1,) and modifier_ids.shape[0] == modifier_offsets[-1]
        and len(vocab_rows) == manifest.get("modifiers")
        and (modifier_ids.shape[0] == 0 or int(modifier_ids.max(initial=0)) < len(vocab_rows))
    )
    if not consistent:
        raise SearchIndexError(f"index '{name}' is corrupted (its files disagree with manifest.json); {fix}")
    vocab = [row[0] for row in vocab_rows]
    counts = np.array([row[1] for row in vocab_rows], dtype=np.int64)
    return Index(path, manifest, embeddings, blob, offsets, nsfw, vocab, counts, modifier_ids, modifier_offsets)


# --- the index store ------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexInfo:
    name: str
    prompts: int
    modifiers: int
    embedder: str
    sources: tuple[str, ...]
    created: str
    size_bytes: int
    path: str
    error: str | None = None  # set when the index cannot be loaded

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["sources"] = list(self.sources)
        return data


def list_indexes() -> list[IndexInfo]:
    """Every index in the user data directory, newest first; broken ones carry `error`."""
    root = config.indexes_dir()
    if not root.is_dir():
        return []
    infos = []
    for path in root.iterdir():
        if path.is_dir() and not path.name.startswith("."):
            infos.append(_info(path))
    return sorted(infos, key=lambda i: (i.created, i.name), reverse=True)


def index_info(name: str) -> IndexInfo:
    path = index_path(name)
    if not path.is_dir():
        raise SearchIndexError(f"no index named '{name}'; see `promptkit index list`")
    return _info(path)


def _info(path: Path) -> IndexInfo:
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    try:
        index = _load_folder(path)
    except SearchIndexError as exc:
        return IndexInfo(path.name, 0, 0, "?", (), "", size, str(path), error=str(exc))
    m = index.manifest
    return IndexInfo(path.name, index.size, len(index.vocab), index.embedder, tuple(m.get("sources", ())),
                     m.get("created", ""), size, str(path))


def most_recent_index() -> str | None:
    usable = [i for i in list_indexes() if i.error is None]
    return usable[0].name if usable else None


def remove_index(name: str) -> Path:
    path = index_path(name)
    if not path.is_dir():
        raise SearchIndexError(f"no index named '{name}'; see `promptkit index list`")
    shutil.rmtree(path)
    return path


# --- module-level API -----------------------------------------------------------------------

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


def search(query: str, k: int = 10, *, index: str | Index | None = None, include_nsfw: bool = False) -> list[SearchHit]:
    """The k prompts most similar to `query` in `index` (default: the most recently built one)."""
    validate_query(query)
    validate_k(k)
    loaded = index if isinstance(index, Index) else get_index(index)
    return loaded.search(query, k, include_nsfw)
