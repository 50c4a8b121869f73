"""Build the shipped modifier lexicon from public data with the project's own index builder."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import config
from ..core.errors import InputError
from ..core.files import Artifact, check_output_folder, replaced_folder
from ..core.text import Blocklist, normalize_modifier
from ..core.version import __version__
from ..modifiers.lexicon import ARTICLE, LEXICON_FORMAT, Vocabularies, categorize

# Public statistics: how many prompts each file's counts were taken over (from its PROVENANCE.md).
LEXICA_PROMPTS = 61_000
DIFFUSIONDB_PROMPTS = 2_000_000
MAX_WORDS = 6
LEXICON = Artifact("modifier lexicon", "meta.json", ("format", "corpus_prompts"))


@dataclass(frozen=True)
class LexiconSources:
    """The permitted public data, as files under one data folder (the shared data layout)."""

    root: Path

    @property
    def prompt_files(self) -> list[Path]:
        return [self.root / "podvodka-pairs" / "pairs.jsonl", self.root / "diffusiondb-imagereward" / "train_prompts_sfw.txt"]

    def check(self) -> None:
        needed = self.prompt_files + [self.root / "lexica-modifier-counts" / "modifiers.jsonl",
                                      self.root / "diffusiondb-phrases" / "phrases.jsonl",
                                      self.root / "clip-interrogator-terms" / "artists.txt"]
        missing = [str(p.relative_to(self.root)) for p in needed if not p.is_file()]
        if missing:
            raise InputError(f"data folder '{self.root}' lacks {', '.join(missing)}; pass the public prompt data folder")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_vocabularies(root: Path) -> Vocabularies:
    terms = root / "clip-interrogator-terms"
    norm = lambda items: frozenset(ARTICLE.sub("", normalize_modifier(t)) for t in items)  # noqa: E731
    return Vocabularies(
        artists=frozenset(normalize_modifier(t) for t in _lines(terms / "artists.txt")),
        mediums=norm(_lines(terms / "mediums.txt")) if (terms / "mediums.txt").is_file() else frozenset(),
        movements=norm(_lines(terms / "movements.txt")) if (terms / "movements.txt").is_file() else frozenset(),
    )


def build_lexicon(
    data: Path, out: Path | None = None, *, embedder: str | None = None, max_modifiers: int = 3000,
    min_count: int = 3, heldout_percent: float = 10.0, corpus_index: str = "lexicon-corpus",
    progress: Callable[[str, int, int], None] | None = None, force: bool = False,
) -> Path:
    """Compute the lexicon from the permitted public data and write it (atomically) to `out`.

    Prompts are embedded to place each modifier among the prompts that use it; only the
    modifier statistics and vectors are written. The held-out bucket is left out, so the
    suggestion evaluation on it stays honest.
    """
    from ..retrieval.index import Index

    out = check_output_folder(Path(out) if out is not None else config.data_dir() / config.LEXICON_NAME, LEXICON, force)
    sources = LexiconSources(Path(data))
    sources.check()
    # The corpus goes through the ordinary index builder (cleaning, fast embedding, build cache);
    # the index it leaves (`corpus_index`) also serves `promptkit search` and the evaluation.
    # MiniLM unless told otherwise (not the index default, static-minilm): the shipped lexicon's vectors are MiniLM's.
    built = Index.build([str(p) for p in sources.prompt_files], corpus_index, embedder=embedder or config.default_embedder(),
                        exclude_heldout=heldout_percent, progress=progress)
    index = built.index
    vocab, corpus_counts = index.vocab, index.vocab_counts
    modifier_ids, offsets = index.modifier_ids, index.modifier_offsets
    embedder_name = index.embedder
    vectors = np.asarray(index.embeddings, dtype=np.float32)
    n_prompts = index.size
    mean = vectors.mean(axis=0)
    from ..retrieval.embedding import get_embedder

    model = get_embedder(embedder_name)

    # Popularity: the average share of prompts using a modifier, over the statistics that know it.
    shares, lexica = _popularity_shares(sources.root, vocab, corpus_counts, n_prompts)
    corpus = dict(zip(vocab, corpus_counts.tolist()))
    blocklist = Blocklist()
    candidates = [
        m for m in shares
        # Lexica's list has tokenisation debris ("etail"); it counts only where the corpus agrees.
        if (corpus.get(m, 0) >= min_count or (lexica.get(m, 0) >= 10 * min_count and corpus.get(m, 0) >= 1))
        and len(m.split()) <= MAX_WORDS and len(m) <= 60 and not blocklist.matches(m)
    ]
    popularity = {m: float(np.mean(shares[m])) for m in candidates}
    chosen = sorted(candidates, key=lambda m: (-popularity[m], m))[:max_modifiers]

    # Context vectors: the centred mean embedding of the prompts using each modifier; a modifier
    # no corpus prompt uses gets its own (centred) text embedding instead.
    position = {m: i for i, m in enumerate(vocab)}
    members: dict[int, list[int]] = {}
    for row in range(n_prompts):
        for mid in modifier_ids[offsets[row]:offsets[row + 1]]:
            members.setdefault(int(mid), []).append(row)
    text_vectors = model.encode(chosen, progress=(lambda d, t: progress("modifiers", d, t)) if progress else None)
    context = np.zeros((len(chosen), vectors.shape[1]), dtype=np.float32)
    for i, m in enumerate(chosen):
        rows = members.get(position.get(m, -1))
        context[i] = (vectors[rows].mean(axis=0) if rows else text_vectors[i]) - mean
    context /= np.maximum(np.linalg.norm(context, axis=1, keepdims=True), 1e-8)

    vocabularies = load_vocabularies(sources.root)
    rows = [{"modifier": m, "category": categorize(m, vocabularies), "count": int(corpus.get(m, 0)),
             "lexica_count": int(lexica.get(m, 0)), "popularity": round(popularity[m], 7)} for m in chosen]
    meta = {
        "format": LEXICON_FORMAT, "embedder": embedder_name, "dim": int(vectors.shape[1]), "modifiers": len(chosen),
        "corpus_prompts": n_prompts, "heldout_percent_excluded": heldout_percent, "promptkit_version": __version__,
        "mean": [round(float(x), 6) for x in mean],
    }
    _write_lexicon(out, meta, rows, context, force)
    return out


def _popularity_shares(root: Path, vocab, corpus_counts, n_prompts: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Popularity: each modifier's share of prompts in every statistic that knows it; and Lexica's counts."""
    shares: dict[str, list[float]] = {}
    for m, c in zip(vocab, corpus_counts):
        shares.setdefault(m, []).append(c / n_prompts)
    lexica: dict[str, int] = {}
    for row in _jsonl(root / "lexica-modifier-counts" / "modifiers.jsonl"):
        key = normalize_modifier(row["modifier"])
        if key and not row.get("nsfw_flag"):
            lexica[key] = lexica.get(key, 0) + int(row["count"])
    phrases: dict[str, int] = {}
    for row in _jsonl(root / "diffusiondb-phrases" / "phrases.jsonl"):
        key = normalize_modifier(row["phrase"])
        phrases[key] = max(phrases.get(key, 0), int(row["count"]))
    for key, count in lexica.items():
        shares.setdefault(key, []).append(count / LEXICA_PROMPTS)
    for key, count in phrases.items():
        if key in shares:  # DiffusionDB phrases are noun phrases; they only refine known modifiers
            shares[key].append(count / DIFFUSIONDB_PROMPTS)
    return shares, lexica


def _write_lexicon(out: Path, meta: dict, rows: list[dict], context: np.ndarray, force: bool = False) -> None:
    with replaced_folder(out, keep=("README.md",), artifact=LEXICON, force=force) as tmp:  # the hand-written card travels with each rebuild
        (tmp / "modifiers.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        np.save(tmp / "context.npy", context.astype(np.float16))
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
