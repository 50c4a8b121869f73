"""The store of named indexes in the user data directory: names, paths, list, info, remove."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core import config
from ..core.errors import InputError, SearchIndexError
from ..core.files import recover_folders
from .index_files import read_index_files

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def validate_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InputError(f"index name {name!r} is not allowed; use letters, digits, '.', '-' or '_' (e.g. --name my-prompts)")
    return name


def index_path(name: str) -> Path:
    """The folder of index `name`; leftovers of builds that died are recovered first (`recover_folders`)."""
    validate_name(name)
    recover_folders(config.indexes_dir())
    return config.indexes_dir() / name


@contextlib.contextmanager
def build_lock(name: str) -> Iterator[None]:
    """Hold the lock of index `name` while building it: a second build of the same name fails in one line."""
    from filelock import FileLock, Timeout

    root = config.user_data_dir() / "locks"  # beside the indexes, so a lock file is never taken for one
    root.mkdir(parents=True, exist_ok=True)
    owner = root / f"index-{name}.json"
    lock = FileLock(str(root / f"index-{name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise SearchIndexError(f"index '{name}' is being built by another promptkit{_lock_owner(owner)}; "
                               "wait for it to finish or pass another --name") from None
    try:
        owner.write_text(json.dumps({"pid": os.getpid()}), encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):
            owner.unlink()
        lock.release()


def _lock_owner(path: Path) -> str:
    try:
        return f" (process {int(json.loads(path.read_text(encoding='utf-8'))['pid'])})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


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
    recover_folders(root)
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
        files = read_index_files(path)
    except SearchIndexError as exc:
        return IndexInfo(path.name, 0, 0, "?", (), "", size, str(path), error=str(exc))
    m = files.manifest
    return IndexInfo(path.name, int(files.embeddings.shape[0]), len(files.vocab), m["embedder"]["name"],
                     tuple(m.get("sources", ())), m.get("created", ""), size, str(path))


def most_recent_index() -> str | None:
    usable = [i for i in list_indexes() if i.error is None]
    return usable[0].name if usable else None


def remove_index(name: str) -> Path:
    path = index_path(name)
    if path.is_symlink():
        raise SearchIndexError(f"index '{name}' is a symbolic link, not a folder promptkit built; remove the link {path} yourself")
    if not path.is_dir():
        raise SearchIndexError(f"no index named '{name}'; see `promptkit index list`")
    try:
        shutil.rmtree(path)
    except OSError as exc:
        raise SearchIndexError(f"cannot remove index '{name}' ({exc.strerror or type(exc).__name__}); check the permissions of {path}") from None
    return path
