"""Build a named index: read and clean prompts, embed them, count their modifiers, write the folder."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..core.datasets import CleanStats, clean_prompts, read_prompts_lenient
from ..core.errors import InputError, SearchIndexError
from ..core.version import __version__
from ..modifiers.stats import modifier_table
from .embedding import EmbedSettings, build_signature, canonical_embedder_name, get_embedder, manifest_entry
from .index_files import FORMAT_VERSION, read_index_files, write_index_files
from .store import build_lock, index_path, validate_name

# progress(phase, done, total): phase is "read", "embed", "graph" (big indexes: the ANN graph) or "write".
BuildProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildOutcome:
    path: Path
    stats: CleanStats
    skipped: bool  # True: an index over the same prompts with the same embedder already existed
    seconds: float


def build_index(
    sources: str | Path | Sequence[str | Path], name: str | None = None, *, column: str | None = None,
    embedder: str | None = None, keep_nsfw: bool = False, exclude_heldout: float | None = None,
    processes: int = 1, fast: bool = True, force: bool = False, progress: BuildProgress | None = None,
    ray: bool | str = False,
) -> BuildOutcome:
    """Read, clean, embed and save an index (skipped when the same prompts and embedder exist).

    `ray`: embed on a Ray cluster with Ray Data (`ray_build`; needs promptkit[ray]): True connects to
    RAY_ADDRESS, else starts a local instance; a string is the cluster's address ('HOST:PORT', 'auto').
    The index written is the single-process one; the manifest's "engine" says which ran."""
    started = time.perf_counter()
    if ray:
        from .ray_build import check_ray

        check_ray(ray)  # a missing extra or a dead address fails before the prompts are read
    sources = [str(s) for s in ([sources] if isinstance(sources, (str, Path)) else sources)]
    if not sources:
        raise InputError("no dataset given; pass a csv/tsv/jsonl/parquet/txt file or a hub dataset id")
    name = validate_name(default_name(sources) if name is None else name)
    with build_lock(name):
        return _build_locked(sources, name, column, embedder, keep_nsfw, exclude_heldout, processes, fast, force, progress, started, ray)


def _build_locked(sources: list[str], name: str, column: str | None, embedder: str | None, keep_nsfw: bool, exclude_heldout: float | None,
                  processes: int, fast: bool, force: bool, progress: BuildProgress | None, started: float, ray: bool | str = False) -> BuildOutcome:
    settings = EmbedSettings(fast=fast, processes=processes)
    prompts, flags, stats = _read_sources(sources, column, keep_nsfw, exclude_heldout, progress)
    digest = content_hash(prompts, flags)
    embedder_name = canonical_embedder_name(embedder)
    target = index_path(name)
    if not force and _same_build(target, digest, embedder_name, fast):
        return BuildOutcome(target, stats, skipped=True, seconds=time.perf_counter() - started)

    model, vectors, engine = _embed(prompts, embedder_name, settings, ray, progress)
    vocab, vocab_counts, modifier_ids, modifier_offsets = modifier_table(prompts)
    manifest = {
        "format": FORMAT_VERSION, "name": name, "sources": sources, "content_hash": digest,
        "embedder": manifest_entry(embedder_name, model, settings),
        "prompts": len(prompts), "modifiers": len(vocab), "dtype": "float16",
        "keep_nsfw": keep_nsfw, "exclude_heldout": exclude_heldout, "cleaning": stats.to_dict(),
        "promptkit_version": __version__, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2), "engine": engine,
    }
    write_index_files(target, manifest, vectors, prompts, flags, vocab, vocab_counts, modifier_ids, modifier_offsets,
                      graph_progress=(lambda d, t: progress("graph", d, t)) if progress else None)
    if progress:
        progress("write", 1, 1)
    return BuildOutcome(target, stats, skipped=False, seconds=time.perf_counter() - started)


def _embed(prompts: list[str], embedder_name: str, settings: EmbedSettings, ray: bool | str, progress: BuildProgress | None):
    """(model, vectors, engine): embedded here, or by a Ray cluster's workers through the same embedder.

    With Ray the embedder is still loaded here: the manifest describes it, and a bad --embedder fails
    before a cluster is asked for anything."""
    model = get_embedder(embedder_name, settings)
    report = (lambda d, t: progress("embed", d, t)) if progress else None
    if not ray:
        return model, model.encode(prompts, progress=report), {"name": "local", "processes": settings.processes}
    from .ray_build import embed_on_ray

    vectors, engine = embed_on_ray(prompts, embedder_name, settings, None if ray is True else str(ray), progress=report)
    return model, vectors, engine


def _read_sources(sources: list[str], column: str | None, keep_nsfw: bool, exclude_heldout: float | None,
                  progress: BuildProgress | None) -> tuple[list[str], list[bool], CleanStats]:
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
    return prompts, flags, stats


def default_name(sources: Sequence[str]) -> str:
    """An index name from the first source: the file stem, or the hub id's last part."""
    stem = Path(str(sources[0]).rstrip("/")).stem or "prompts"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "prompts"


def content_hash(prompts: Sequence[str], flags: Sequence[bool]) -> str:
    digest = hashlib.sha256()
    for prompt, flag in zip(prompts, flags):
        digest.update(prompt.encode("utf-8"))
        digest.update(b"\x01" if flag else b"\x00")
    return digest.hexdigest()


def _stats_line(stats: CleanStats) -> str:
    parts = [f"{stats.rows} rows"]
    for key in ("malformed", "empty", "duplicates", "nsfw_dropped", "heldout_dropped"):
        if getattr(stats, key):
            parts.append(f"{getattr(stats, key)} {key.replace('_', ' ')}")
    return ", ".join(parts)


def _same_build(target: Path, digest: str, embedder: str, fast: bool) -> bool:
    """An existing, loadable index over the same prompts, embedder and encoding."""
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        recorded = manifest["embedder"]
        same = (manifest.get("content_hash") == digest and manifest.get("format") == FORMAT_VERSION
                and all(recorded.get(key, True) == value for key, value in build_signature(embedder, fast).items()))
        return same and read_index_files(target) is not None
    except (OSError, ValueError, KeyError, TypeError, SearchIndexError):
        return False
