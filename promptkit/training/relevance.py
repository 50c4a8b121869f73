"""Build the shipped relevance model (`promptkit.modifiers.relevance`) from the licensed prompt data.

Sources (all permitted for shipped artifacts): podvodka-pairs (long prompt + short description),
diffusiondb-imagereward train prompts; lexica-modifier-counts and clip-interrogator terms attest
the vocabulary. Held-out rows (hash buckets 0-9) are left out: evaluation reads them. The folder
holds no prompt texts: int8 subject embeddings, a CSR prompt->modifier matrix, per-medium counts
and the modifier list with categories.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..core.datasets import heldout_bucket
from ..core.errors import InputError
from ..core.files import Artifact, check_output_folder, replaced_folder
from ..core.text import Blocklist, normalize_modifier, split_modifiers
from ..core.version import __version__
from ..modifiers.coherence import MEDIA, prompt_medium
from ..modifiers.relevance import RELEVANCE_FORMAT
from ..modifiers.vocabulary import NOT_ARTISTS, canonical_forms, categorize, is_candidate

MIN_SUBJECTS = 2  # distinct subjects that must use a modifier for it to be a candidate
LONG_PHRASE_SUBJECTS = 5
ONE_OFF_PHRASES = 1  # admit 1-2 word phrases one subject uses when all their words are known  # the same for phrases of 3+ words that public statistics do not attest
HELDOUT_PERCENT = 10
RELEVANCE = Artifact("relevance model", "meta.json", ("format", "min_subjects", "media"))
SOURCES = {
    "pairs": "podvodka-pairs/pairs.jsonl",
    "diffusiondb": "diffusiondb-imagereward/train.jsonl",
    "lexica": "lexica-modifier-counts/modifiers.jsonl",
    "artists": "clip-interrogator-terms/artists.txt",
    "mediums": "clip-interrogator-terms/mediums.txt",
    "movements": "clip-interrogator-terms/movements.txt",
}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_prompts(root: Path) -> list[tuple[str, str | None]]:
    """(long prompt, short description or None), de-duplicated, without nsfw-flagged or held-out rows."""
    rows = [(r["prompt"], r.get("short")) for r in _jsonl(root / SOURCES["pairs"]) if not r.get("nsfw_flag")]
    rows += [(r.get("prompt_norm") or r["prompt"], None) for r in _jsonl(root / SOURCES["diffusiondb"]) if not r.get("nsfw_flag")]
    out, seen = [], set()
    for prompt, short in rows:
        key = prompt.lower().strip()
        if key not in seen and heldout_bucket(prompt) >= HELDOUT_PERCENT:
            seen.add(key)
            out.append((prompt, short))
    return out


def subject_of(prompt: str, short: str | None) -> str:
    """What the prompt depicts: the pair's short description, else the first comma clause."""
    if short:
        return short
    parts = split_modifiers(prompt)
    return parts[0] if parts else prompt


def artist_names(root: Path, prompts: list[str]) -> frozenset[str]:
    """clip-interrogator's artists plus names credited with "by" at least twice in the corpus."""
    names = {normalize_modifier(x) for x in (root / SOURCES["artists"]).read_text(encoding="utf-8").splitlines() if x.strip()}
    credited = Counter(key[3:] for p in prompts for phrase in split_modifiers(p)[1:] for key in canonical_forms(phrase) if key.startswith("by "))
    names |= {n for n, c in credited.items() if c >= 2}
    return frozenset(n for n in names if len(n) > 2 and n not in NOT_ARTISTS and categorize(n) not in {"lighting", "colour", "quality", "medium"})


def attested(root: Path, min_count: int = 5) -> tuple[set[str], set[str]]:
    """Modifiers public lists attest: (Lexica counts >= min_count, clip-interrogator mediums and movements)."""
    lexica = set()
    for row in _jsonl(root / SOURCES["lexica"]):
        if int(row["count"]) >= min_count and not row.get("nsfw_flag"):
            lexica.update(canonical_forms(row["modifier"]))
    terms = set()
    for name in ("mediums", "movements"):
        for line in (root / SOURCES[name]).read_text(encoding="utf-8").splitlines():
            terms.add(re.sub(r"^(?:a|an|the)\s+", "", normalize_modifier(line)))
    return lexica, terms


def vocabulary(rows: list[tuple[str, str | None]], used: list[set[str]], known: tuple[set[str], set[str]],
               artists: frozenset[str]) -> tuple[list[str], Counter]:
    """Candidate modifiers used by enough distinct subjects (or attested), and those subject counts.

    Phrases of 3+ words are often pieces of one popular template ("art nouveau fashion
    embroidered"): they need 5 subjects of their own, or a place in clip-interrogator's lists.
    """
    lexica, terms = known
    subjects = Counter()  # near-duplicate prompts of one session count once
    seen = set()
    for (prompt, short), keys in zip(rows, used):
        subject = normalize_modifier(subject_of(prompt, short))
        for key in keys:
            if (subject, key) not in seen:
                seen.add((subject, key))
                subjects[key] += 1
    blocklist = Blocklist()

    # Words of phrases that several subjects use: a one-off phrase made only of them is no typo.
    known_words = {w for k, c in subjects.items() if c >= MIN_SUBJECTS for w in k.split()}

    def wanted(key: str, count: int) -> bool:
        if len(key.split()) >= 3 and not key.startswith("by "):
            return key in terms or count >= LONG_PHRASE_SUBJECTS
        one_off_ok = ONE_OFF_PHRASES and not key.startswith("by ") and all(w in known_words for w in key.split())
        return key in lexica or key in terms or count >= MIN_SUBJECTS or one_off_ok

    vocab = sorted(k for k, c in subjects.items() if wanted(k, c) and is_candidate(k) and not blocklist.matches(k))
    return [k for k in vocab if not names_an_artist(k, artists)], subjects


def names_an_artist(key: str, artists: frozenset[str]) -> bool:
    """A phrase that mentions an artist without crediting them ("rossdraws global illumination")."""
    if key.startswith("by "):
        return False
    words = key.split()
    spans = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    return any(span in artists for span in spans if span != key and (" " in span or len(span) > 5))


def build_relevance(root: str | Path, out: str | Path, progress: Callable[[str], None] | None = None, force: bool = False) -> dict:
    """Compute the relevance folder from the data folder `root` (see SOURCES) and write it to `out`.

    An existing `out` that is not a relevance model is refused unless `force` (see `check_output_folder`).
    """
    root, out = Path(root), check_output_folder(out, RELEVANCE, force)
    missing = [rel for rel in SOURCES.values() if not (root / rel).is_file()]
    if missing:
        raise InputError(f"'{root}' lacks {', '.join(missing)}; pass the folder that holds the public prompt data")
    say = progress or (lambda message: None)
    rows = training_prompts(root)
    artists = artist_names(root, [p for p, _ in rows])
    used = [{k for phrase in split_modifiers(p)[1:] for k in canonical_forms(phrase, artists)} for p, _ in rows]
    vocab, subject_counts = vocabulary(rows, used, attested(root), artists)
    position = {k: i for i, k in enumerate(vocab)}
    indptr, indices = [0], []
    media = np.zeros((len(vocab), len(MEDIA)), dtype=np.int32)  # corpus prompts per (modifier, medium)
    media_prompts = [0] * len(MEDIA)
    subjects = [subject_of(p, s) for p, s in rows]
    for (prompt, _), subject, keys in zip(rows, subjects, used):
        ids = sorted(position[k] for k in keys if k in position)
        indices.extend(ids)
        indptr.append(len(indices))
        medium = prompt_medium(subject) or prompt_medium(prompt)
        if medium is not None:
            media_prompts[MEDIA.index(medium)] += 1
            media[ids, MEDIA.index(medium)] += 1
    say(f"{len(rows):,} prompts, {len(vocab):,} modifiers; embedding subjects")
    vectors = _embed(subjects)
    meta = {"format": RELEVANCE_FORMAT, "embedder": "all-MiniLM-L6-v2", "prompts": len(rows), "modifiers": len(vocab),
            "min_subjects": MIN_SUBJECTS, "media": list(MEDIA), "media_prompts": media_prompts,
            "heldout_buckets_excluded": f"0-{HELDOUT_PERCENT - 1}", "sources": sorted(SOURCES.values()), "promptkit_version": __version__}
    _write(out, meta, vocab, subject_counts, vectors, indptr, indices, media, force)
    return meta


def _embed(texts: list[str]) -> np.ndarray:
    from ..retrieval.embedding import EmbedSettings, get_embedder

    return get_embedder(None, EmbedSettings(fast=False, max_tokens=77)).encode(texts)


def _write(out: Path, meta: dict, vocab: list[str], counts: Counter, vectors: np.ndarray, indptr: list[int], indices: list[int], media: np.ndarray,
           force: bool = False) -> None:
    scale = np.maximum(np.abs(vectors).max(axis=1, keepdims=True), 1e-8) / 127.0
    with replaced_folder(out, keep=("README.md",), artifact=RELEVANCE, force=force) as tmp:
        np.save(tmp / "subjects.npy", np.round(vectors / scale).astype(np.int8))
        np.save(tmp / "subject_scale.npy", scale.astype(np.float16))
        np.save(tmp / "media.npy", media)
        np.save(tmp / "indptr.npy", np.asarray(indptr, dtype=np.int32))
        np.save(tmp / "indices.npy", np.asarray(indices, dtype=np.uint16 if len(vocab) < 65536 else np.int32))
        lines = [json.dumps({"modifier": k, "category": categorize(k), "count": counts[k]}) for k in vocab]
        (tmp / "modifiers.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
