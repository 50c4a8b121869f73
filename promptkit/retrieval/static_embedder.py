"""The static embedder new indexes use by default: MiniLM distilled into one vector per word piece.

A text's vector is the mean of its word pieces' vectors, L2-normalised (a `model2vec` model):
no network runs, so a build embeds tens of thousands of prompts a second where MiniLM does a
few hundred, and a query costs microseconds without importing torch or transformers. The shipped
model is data/static-minilm (its card says how it was made and how close it stays to MiniLM);
`promptkit train-embedder` rebuilds it. Worker processes and bf16 do not apply to it.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..core import config
from ..core.errors import ModelLoadError, first_line

STATIC_EMBEDDER = config.DEFAULT_INDEX_EMBEDDER  # the name indexes record; also the folder name in data/
_ALIASES = {STATIC_EMBEDDER, "static"}
CHUNK = 2048  # texts per step (progress)
SPARSE_FROM = 64  # texts per call from which scipy's sparse product is used


def is_static(name: str) -> bool:
    return name.strip().lower() in _ALIASES


def static_model_path() -> Path:
    return config.data_dir() / STATIC_EMBEDDER


class StaticEmbedder:
    """A model2vec folder (model.safetensors "embeddings", tokenizer.json, config.json) read in numpy.

    The same vectors as `model2vec.StaticModel.encode` (tests/test_static_embedder.py checks it), without
    its import: model2vec's loader pulls in huggingface_hub, ~0.7 s of a cold query on a busy machine."""

    def __init__(self, table: np.ndarray, tokenizer, max_tokens: int | None, median_piece: int, unk: int | None,
                 name: str = STATIC_EMBEDDER, digest: str = ""):
        self.table = table
        self._float: np.ndarray | None = None  # float32 copy for batch encoding, made on first use
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.cut = max_tokens * median_piece if max_tokens else None  # characters read, as model2vec cuts them
        self.unk = unk
        self.name = name
        self.digest = digest  # a short hash of the table: indexes record it, so a retrained model is noticed

    @classmethod
    def load(cls, folder: Path | None = None) -> StaticEmbedder:
        folder = Path(folder or static_model_path())
        fix = "reinstall promptkit or rebuild it with `promptkit train-embedder`"
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            settings = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            tensors = load_file(str(folder / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except FileNotFoundError as exc:
            raise ModelLoadError(f"the static embedder '{folder}' lacks {Path(exc.filename or '?').name}; {fix}") from None
        except Exception as exc:
            raise ModelLoadError(f"could not load the static embedder '{folder}' ({first_line(exc)}); {fix}") from None
        table = tensors.get("embeddings")
        vocab = tokenizer.get_vocab()
        if table is None or table.ndim != 2 or "mapping" in tensors or "weights" in tensors or len(table) != len(vocab) or not settings.get("normalize", True):
            raise ModelLoadError(f"the static embedder '{folder}' is not a plain normalised model2vec table; {fix}")
        tokenizer.no_padding()
        max_tokens = settings.get("max_length")
        if max_tokens:
            tokenizer.enable_truncation(int(max_tokens))
        else:
            tokenizer.no_truncation()
        unk_token = getattr(tokenizer.model, "unk_token", None)
        median_piece = int(np.median([len(token) for token in vocab]))
        return cls(table, tokenizer, max_tokens, median_piece, tokenizer.token_to_id(unk_token) if unk_token else None,
                   STATIC_EMBEDDER, table_digest(folder / "model.safetensors"))

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given (a text without known pieces: zeros)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            out[start:start + CHUNK] = self._encode(texts[start:start + CHUNK])
            if progress:
                progress(min(start + CHUNK, len(texts)), len(texts))
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch_fast([t[:self.cut] if self.cut else t for t in texts], add_special_tokens=False)
        ids = [e.ids for e in encodings]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        weights = (flat != self.unk).astype(np.float32)  # model2vec drops unknown pieces
        # Sums, not means: the direction is the same, and only the direction is kept.
        if len(texts) > SPARSE_FROM:  # a sparse bag-of-pieces product: ~10x numpy's gather and reduceat
            from scipy.sparse import csr_matrix

            bags = csr_matrix((weights, flat, np.concatenate([[0], np.cumsum(lengths)])), shape=(len(texts), len(self.table)))
            out = np.asarray(bags @ self._float_table(), dtype=np.float32)
        else:
            out = np.zeros((len(texts), self.dim), dtype=np.float32)
            filled = lengths > 0
            if filled.any():
                rows = self.table[flat].astype(np.float32) * weights[:, None]
                out[filled] = np.add.reduceat(rows, (np.cumsum(lengths) - lengths)[filled], axis=0)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def _float_table(self) -> np.ndarray:
        if self._float is None:
            self._float = self.table.astype(np.float32)
        return self._float


def table_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def shipped_static() -> StaticEmbedder:
    """The shipped static embedder, loaded once."""
    return StaticEmbedder.load()
