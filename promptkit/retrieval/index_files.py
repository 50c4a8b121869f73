"""The on-disk format of a prompt search index: write a folder atomically, read and check it.

An index is a folder in the user data directory (`promptkit.core.config.indexes_dir()`):

    manifest.json         source, content hash, embedder, sizes, cleaning stats, promptkit version
    embeddings.npy        float16 unit vectors, one row per prompt (memory-mapped on load)
    prompts.bin           UTF-8 prompts back to back; prompt_offsets.npy (int64, n + 1) slices them
    nsfw.npy              bool flag per prompt (all False unless built with keep_nsfw)
    modifiers.json        the modifier vocabulary: [normalised modifier, prompts using it]
    modifier_ids.npy      int32 vocabulary ids of each prompt's modifiers, back to back;
                          modifier_offsets.npy (int64, n + 1) slices them
    ann.usearch           past `ann.ANN_MIN_VECTORS` rows: an HNSW graph over int8 copies of the vectors

float16 keeps 1M x 384 vectors in 768 MB, and memory mapping makes loading instant. Search is
exact below `ann.ANN_MIN_VECTORS` rows and approximate (re-scored exactly) above (see `ann`).
Every build writes to a temporary folder renamed into place only when complete, so an
interrupted build leaves the previous index as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import SearchIndexError, first_line
from ..core.files import replaced_folder
from .ann import ANN_FILE, build_ann, open_ann, wants_ann

FORMAT_VERSION = 1
FILES = ("manifest.json", "embeddings.npy", "prompts.bin", "prompt_offsets.npy", "nsfw.npy",
         "modifiers.json", "modifier_ids.npy", "modifier_offsets.npy")


@dataclass
class IndexFiles:
    """The arrays of one index folder, memory-mapped where large, checked against the manifest."""

    path: Path
    manifest: dict
    embeddings: np.ndarray
    prompt_blob: np.ndarray
    prompt_offsets: np.ndarray
    nsfw: np.ndarray
    vocab: list[str]
    vocab_counts: np.ndarray
    modifier_ids: np.ndarray
    modifier_offsets: np.ndarray
    ann: object = None  # the usearch graph when the index carries one


def write_index_files(target: Path, manifest: dict, vectors: np.ndarray, prompts: Sequence[str], flags: Sequence[bool],
                      vocab: list[str], vocab_counts: np.ndarray, modifier_ids: np.ndarray, modifier_offsets: np.ndarray,
                      graph_progress: Callable[[int, int], None] | None = None) -> None:
    """Write every file into a temporary sibling folder, then swap it in (see `replaced_folder`).

    Past `ann.ANN_MIN_VECTORS` rows the HNSW graph is built here too (`graph_progress(done, total)`)."""
    with replaced_folder(target) as tmp:
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
        files = [f for f in FILES if f != "manifest.json"]
        if wants_ann(len(vectors)):
            manifest = dict(manifest, ann=build_ann(vectors, tmp / ANN_FILE, progress=graph_progress))
            files.append(ANN_FILE)
        manifest = dict(manifest, bytes={f: (tmp / f).stat().st_size for f in files})
        # The manifest goes last: a folder without one was never finished.
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def manifest_problem(manifest: dict) -> str | None:
    """What is wrong with the shape of a manifest (valid JSON can still be nonsense), or None."""
    embedder = manifest.get("embedder")
    if not isinstance(embedder, dict) or not isinstance(embedder.get("name"), str) or type(embedder.get("dim")) is not int:
        return "'embedder' is not an object with a name and a dim"
    for key in ("prompts", "modifiers"):
        if type(manifest.get(key)) is not int or manifest[key] < 0:
            return f"'{key}' is not a count"
    if not isinstance(manifest.get("created", ""), str):
        return "'created' is not a date"
    ann = manifest.get("ann")
    if ann is not None and not (isinstance(ann, dict) and ann.get("library") == "usearch" and ann.get("file") == ANN_FILE):
        return "'ann' is not a usearch graph entry"
    sources = manifest.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        return "'sources' is not a list of names"
    return None


def read_index_files(path: Path) -> IndexFiles:
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
    wrong = manifest_problem(manifest)
    if wrong:
        raise SearchIndexError(f"index '{name}' is corrupted (manifest.json: {wrong}); {fix}")
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
        and isinstance(vocab_rows, list) and len(vocab_rows) == manifest.get("modifiers")
        and all(isinstance(row, list) and len(row) == 2 and isinstance(row[0], str) and type(row[1]) is int for row in vocab_rows)
        and (modifier_ids.shape[0] == 0 or int(modifier_ids.max(initial=0)) < len(vocab_rows))
    )
    if not consistent:
        raise SearchIndexError(f"index '{name}' is corrupted (its files disagree with manifest.json); {fix}")
    vocab = [row[0] for row in vocab_rows]
    counts = np.array([row[1] for row in vocab_rows], dtype=np.int64)
    graph = _open_graph(path, manifest, embeddings, fix) if manifest.get("ann") else None
    return IndexFiles(path, manifest, embeddings, blob, offsets, nsfw, vocab, counts, modifier_ids, modifier_offsets, graph)


def _open_graph(path: Path, manifest: dict, embeddings: np.ndarray, fix: str):
    """The index's ANN graph; a missing or damaged one makes the whole index broken (no silent exact search)."""
    expected = (manifest.get("bytes") or {}).get(ANN_FILE)
    try:
        return open_ann(path / ANN_FILE, embeddings, expected if type(expected) is int else None)
    except FileNotFoundError:
        raise SearchIndexError(f"index '{path.name}' is incomplete (missing {ANN_FILE}); {fix}") from None
    except (OSError, ValueError) as exc:
        raise SearchIndexError(f"index '{path.name}' is corrupted ({first_line(exc, 120)}); {fix}") from None
