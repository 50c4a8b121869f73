"""Distil the packaged all-MiniLM-L6-v2 into a static (model2vec) embedder for fast index builds.

A static embedder is a table of one vector per word piece; a text's vector is the mean of its
pieces' vectors, L2-normalised (`model2vec.StaticModel`). No network runs, so it embeds tens of
thousands of prompts a second on one core. Two steps:

1. distil: each of MiniLM's 30,522 word pieces run through MiniLM alone ("[CLS] piece [SEP]",
   mean-pooled), as `model2vec.distill` does; this starts every piece where MiniLM puts it;
2. fit: the table is trained (torch, Adam, cosine loss) so that the mean of a prompt's pieces
   points where MiniLM's own sentence vector for that prompt points, over prompts from the
   permitted public sources (SOURCES) with the evaluation's held-out hash buckets left out, plus
   sub-prompts (subject + some of its modifiers) and the public modifier lists, so that short
   queries and single modifiers land where MiniLM puts them too.

Optionally both the targets and the table are projected on the targets' top principal axes
(`dims`). The table is stored int8 with one global scale (the vectors are normalised after the
mean, so a global scale changes nothing). See data/static-minilm/README.md for the measured figures.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..core.datasets import heldout_bucket
from ..core.errors import InputError
from ..core.files import Artifact, check_output_folder, replaced_folder
from ..core.text import split_modifiers
from ..core.version import __version__

HELDOUT_PERCENT = 10
SOURCES = {
    "pairs": "podvodka-pairs/pairs.jsonl",
    "diffusiondb": "diffusiondb-imagereward/train.jsonl",
    "phrases": "diffusiondb-phrases/phrases.jsonl",
    "lexica": "lexica-modifier-counts/modifiers.jsonl",
    "artists": "clip-interrogator-terms/artists.txt",
    "flavors": "clip-interrogator-terms/flavors.txt",
    "mediums": "clip-interrogator-terms/mediums.txt",
    "movements": "clip-interrogator-terms/movements.txt",
}
Say = Callable[[str], None]


@dataclass(frozen=True)
class EmbedderTraining:
    """How the static embedder is trained; the defaults made the shipped one."""

    dims: int = 256  # principal axes kept (384: MiniLM's full width, no projection)
    max_tokens: int = 75  # word pieces read per text: MiniLM's 77-token build path less [CLS] and [SEP]
    sub_prompts: int = 2  # random sub-prompts (subject + some modifiers) per corpus prompt
    flavors: int = 30_000  # clip-interrogator flavors used (of ~100k), a seeded sample
    epochs: int = 12
    batch_size: int = 256
    learning_rate: float = 0.01
    polish_epochs: int = 3  # then: batches of 1024 at 0.3x the learning rate, with the pairwise term below
    relation_weight: float = 4.0  # polish: weight of matching MiniLM's pairwise similarities (closest pairs most)
    seed: int = 0

    def __post_init__(self) -> None:
        if not 16 <= self.dims <= 384:
            raise InputError(f"dims must be between 16 and 384, got {self.dims}")
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0 or self.polish_epochs < 0:
            raise InputError("epochs, batch size and learning rate must be positive")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_texts(root: Path, settings: EmbedderTraining) -> list[str]:
    """Distinct texts to fit on: prompts and their short descriptions outside the held-out buckets,
    sub-prompts of them, and the public modifier and phrase lists."""
    missing = [rel for rel in SOURCES.values() if not (root / rel).is_file()]
    if missing:
        raise InputError(f"'{root}' lacks {', '.join(missing)}; pass the folder that holds the public prompt data")
    rng = random.Random(settings.seed)
    pairs = [r for r in _jsonl(root / SOURCES["pairs"]) if not r.get("nsfw_flag")]
    prompts = [r["prompt"] for r in pairs] + [r.get("prompt_norm") or r["prompt"] for r in _jsonl(root / SOURCES["diffusiondb"]) if not r.get("nsfw_flag")]
    prompts = [p for p in prompts if heldout_bucket(p) >= HELDOUT_PERCENT]
    texts = prompts + [r["short"] for r in pairs if r.get("short") and heldout_bucket(r["prompt"]) >= HELDOUT_PERCENT]
    for prompt in prompts:
        parts = split_modifiers(prompt)
        for _ in range(settings.sub_prompts if len(parts) > 2 else 0):
            texts.append(", ".join([parts[0], *rng.sample(parts[1:], rng.randint(1, min(4, len(parts) - 1)))]))
    texts += [r["phrase"] for r in _jsonl(root / SOURCES["phrases"])]
    texts += [r["modifier"] for r in _jsonl(root / SOURCES["lexica"]) if not r.get("nsfw_flag")]
    for key in ("artists", "mediums", "movements"):
        texts += _lines(root / SOURCES[key])
    flavors = _lines(root / SOURCES["flavors"])
    texts += rng.sample(flavors, min(settings.flavors, len(flavors)))
    # No text may equal a held-out pair's prompt or short description (short phrases recur across sources).
    seen = {" ".join(t.split()).lower() for r in pairs if heldout_bucket(r["prompt"]) < HELDOUT_PERCENT for t in (r["prompt"], r.get("short") or "")}
    return [t for t in (" ".join(t.split()) for t in texts) if t and not (t.lower() in seen or seen.add(t.lower()))]


def teacher_vectors(texts: list[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """MiniLM's sentence vectors for the texts (the bf16, 77-token build path)."""
    from ..retrieval.embedding import EmbedSettings, get_embedder

    return get_embedder("all-MiniLM-L6-v2", EmbedSettings()).encode(texts, progress=progress)


def distilled_pieces(batch: int = 1024) -> np.ndarray:
    """MiniLM's mean-pooled output for each word piece alone ([CLS] piece [SEP]), float32, unit length."""
    import torch

    from ..retrieval.embedding import EmbedSettings, get_embedder

    model = get_embedder("all-MiniLM-L6-v2", EmbedSettings(fast=False)).model
    bert = model[0].auto_model
    tokenizer = model.tokenizer
    size = len(tokenizer.get_vocab())
    out = np.zeros((size, bert.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, batch):
            ids = torch.arange(start, min(start + batch, size))[:, None]
            cls = torch.full_like(ids, tokenizer.cls_token_id)
            sep = torch.full_like(ids, tokenizer.sep_token_id)
            hidden = bert(input_ids=torch.cat([cls, ids, sep], dim=1)).last_hidden_state
            out[start:start + len(ids)] = hidden.mean(dim=1).float().numpy()
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def principal_axes(vectors: np.ndarray, dims: int) -> np.ndarray:
    """(384, dims): the top principal axes of the vectors (uncentred: the index compares directions)."""
    if dims >= vectors.shape[1]:
        return np.eye(vectors.shape[1], dtype=np.float32)
    _, _, vt = np.linalg.svd(vectors.astype(np.float64), full_matrices=False)
    return vt[:dims].T.astype(np.float32)


def fit_table(init: np.ndarray, pieces: list[list[int]], targets: np.ndarray, settings: EmbedderTraining,
              say: Say | None = None) -> np.ndarray:
    """The piece table whose per-text mean has the highest cosine to the targets (Adam, shuffled batches)."""
    import torch

    torch.manual_seed(settings.seed)
    keep = [i for i, p in enumerate(pieces) if p]
    pad = len(init)  # an extra all-zero row that the mean leaves out
    width = max(len(pieces[i]) for i in keep)
    ids = torch.full((len(keep), width), pad, dtype=torch.long)
    for row, i in enumerate(keep):
        ids[row, :len(pieces[i])] = torch.tensor(pieces[i], dtype=torch.long)
    goal = torch.nn.functional.normalize(torch.tensor(targets[keep], dtype=torch.float32), dim=1)
    table = torch.cat([torch.tensor(init, dtype=torch.float32), torch.zeros(1, init.shape[1])])
    bag = torch.nn.EmbeddingBag.from_pretrained(table, freeze=False, mode="mean", padding_idx=pad)
    optimiser = torch.optim.Adam(bag.parameters(), lr=settings.learning_rate)
    generator = torch.Generator().manual_seed(settings.seed)
    for epoch in range(settings.epochs):
        order = torch.randperm(len(keep), generator=generator)
        total = 0.0
        for begin in range(0, len(keep), settings.batch_size):
            rows = order[begin:begin + settings.batch_size]
            out = torch.nn.functional.normalize(bag(ids[rows]), dim=1)
            loss = 1 - (out * goal[rows]).sum(dim=1).mean()
            if settings.relation_weight:  # also match the batch's pairwise similarities, closest pairs weighted most
                teacher = goal[rows] @ goal[rows].T
                weight = torch.exp((teacher - 1) / 0.1)
                loss = loss + settings.relation_weight * (weight * (out @ out.T - teacher) ** 2).sum() / weight.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(rows)
        if say:
            say(f"epoch {epoch + 1}/{settings.epochs}: mean cosine to MiniLM {1 - total / len(keep):.4f}")
    return bag.weight.detach()[:pad].numpy().astype(np.float32)


def static_model(table: np.ndarray, max_tokens: int, tokenizer=None):
    """A model2vec StaticModel over MiniLM's word-piece tokenizer (or `tokenizer`) with this table."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    from ..retrieval.embedding import packaged_model_path

    tokenizer = tokenizer or Tokenizer.from_file(str(packaged_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    return StaticModel(table, tokenizer, normalize=True, base_model_name="sentence-transformers/all-MiniLM-L6-v2", max_length=max_tokens)


def pruned(model, pieces: list[list[int]]):
    """The model with only the word pieces the training texts use (and the special tokens).

    WordPiece takes the longest known piece first, so every training text splits exactly as before
    (model2vec also cuts texts at max_length x the median piece length, which stays 6 characters);
    a word with a dropped piece splits into pieces that were fitted instead, or, with a character
    no training text held, is unknown. ~16k of MiniLM's 30,522 pieces stay: model.safetensors ~4 MB."""
    from tokenizers import Tokenizer

    spec = json.loads(model.tokenizer.to_str())
    vocab: dict[str, int] = spec["model"]["vocab"]
    specials = {t["content"] for t in spec["added_tokens"]}
    used = set(itertools.chain.from_iterable(pieces))
    keep = sorted(i for t, i in vocab.items() if i in used or t in specials)
    tokens = {i: t for t, i in vocab.items()}
    spec["model"]["vocab"] = new = {tokens[i]: n for n, i in enumerate(keep)}
    for token in spec["added_tokens"]:
        token["id"] = new[token["content"]]
    for special in (spec.get("post_processor") or {}).get("special_tokens", {}).values():
        special["ids"] = [new[t] for t in special["tokens"]]
    if spec.get("padding"):
        spec["padding"]["pad_id"] = new[spec["padding"]["pad_token"]]
    return static_model(model.embedding[keep], model.max_length, Tokenizer.from_str(json.dumps(spec)))


def word_pieces(model, texts: list[str]) -> list[list[int]]:
    """Each text's word-piece ids exactly as `model.encode` reads them (characters cut, then pieces)."""
    model._set_max_length_in_tokenizer(model.max_length)
    cut = model.max_length * model.median_token_length
    return model.tokenize([t[:cut] for t in texts])


def int8_table(table: np.ndarray) -> np.ndarray:
    """The table as int8 with one global scale (vectors are normalised after the mean: the scale cancels)."""
    return np.clip(np.rint(table / (np.abs(table).max() / 127.0)), -127, 127).astype(np.int8)


STATIC = Artifact("static embedder", "training.json", ("format", "teacher", "sources"))
FORMAT = 1


def build_static_embedder(root: str | Path, out: str | Path, settings: EmbedderTraining | None = None,
                          say: Say | None = None, force: bool = False) -> dict:
    """Distil and fit the static embedder from the data folder `root` (see SOURCES) and write it to `out`
    as a model2vec folder plus training.json (the hand-written README.md card is kept)."""
    settings = settings or EmbedderTraining()
    root, out = Path(root), check_output_folder(out, STATIC, force)
    say = say or (lambda message: None)
    texts = training_texts(root, settings)
    say(f"{len(texts):,} texts; embedding them with MiniLM")
    targets = teacher_vectors(texts, progress=lambda d, t: say(f"MiniLM: {d:,}/{t:,} texts"))
    say("distilling MiniLM's word pieces")
    init = distilled_pieces()
    axes = principal_axes(targets, settings.dims)
    model = static_model(init @ axes, settings.max_tokens)
    pieces = word_pieces(model, texts)
    table = fit_table(init @ axes, pieces, targets @ axes, replace(settings, relation_weight=0.0), say)
    if settings.polish_epochs:
        polish = replace(settings, epochs=settings.polish_epochs, batch_size=1024, learning_rate=0.3 * settings.learning_rate)
        table = fit_table(table, pieces, targets @ axes, polish, say)
    meta = {"format": FORMAT, "teacher": "sentence-transformers/all-MiniLM-L6-v2", "dims": settings.dims, "texts": len(texts),
            "settings": asdict(settings), "sources": sorted(SOURCES.values()),
            "heldout_buckets_excluded": f"0-{HELDOUT_PERCENT - 1}", "promptkit_version": __version__}
    _write(out, pruned(static_model(int8_table(table), settings.max_tokens), pieces), meta, force)
    return meta


def _write(out: Path, model, meta: dict, force: bool) -> None:
    with replaced_folder(out, keep=("README.md",), artifact=STATIC, force=force) as tmp:
        model.save_pretrained(tmp)
        (tmp / "README.md").unlink(missing_ok=True)  # model2vec's generated card; the hand-written one is kept
        (tmp / "training.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
