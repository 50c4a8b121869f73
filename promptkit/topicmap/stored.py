"""Topic and map files kept inside an index folder, each one file written atomically.

    topics.npz   topic id per prompt, plus a JSON header (the topics, how k was chosen, ...)
    layout.npz   the map: the drawn sample's row ids and 2D positions, plus a JSON header

Each header carries the stamp of the index it was computed from (content hash, creation time,
size): a rebuilt index replaces its whole folder, so these files go with it, and a stamp that no
longer matches makes them stale, never wrong. A file is written to a temporary name and renamed
(`core.files.atomic_write_bytes`), so an interrupted write leaves the old file or none, never half
of one, and the index itself is never touched. A file that cannot be read is computed anew.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ..core.files import atomic_write_bytes

FORMAT = 1
TOPICS_FILE = "topics.npz"
LAYOUT_FILE = "layout.npz"


def index_stamp(index) -> dict:
    manifest = index.manifest
    return {"content_hash": manifest.get("content_hash"), "created": manifest.get("created"), "prompts": index.size}


def read_stored(folder: Path, name: str, stamp: dict) -> tuple[dict, dict[str, np.ndarray]] | None:
    """(header, arrays) of a stored file made from the index with `stamp`, or None (missing, stale, unreadable)."""
    try:
        with np.load(folder / name, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            arrays = {key: np.asarray(data[key]) for key in data.files if key != "header"}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("index") != stamp:
        return None
    return header, arrays


def write_stored(folder: Path, name: str, stamp: dict, header: dict, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write the file atomically; None when the index folder cannot be written (the result is still returned to the caller)."""
    buffer = io.BytesIO()
    header = {"format": FORMAT, "index": stamp, **header}
    np.savez(buffer, header=np.array(json.dumps(header, ensure_ascii=False)), **arrays)
    try:
        return atomic_write_bytes(folder / name, buffer.getvalue())
    except OSError:
        return None
