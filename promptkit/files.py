"""Writing output files safely: safe names whatever the prompt, writable folders, atomic writes."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

from .errors import InputError

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG_CHARS = 40


def slugify(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """A file-name-safe stem from any prompt: ASCII letters and digits joined by '-', never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")
    slug = slug[:max_chars].rstrip("-")
    return slug or "prompt"


def ensure_output_dir(folder: str | Path, option: str = "--out") -> Path:
    """Create `folder` if needed and prove it can be written, before any slow work starts."""
    path = Path(folder).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".promptkit-write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot write to output folder '{folder}' ({reason}); pass a writable folder with {option}") from None
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write to a temporary name in the same folder, then rename: readers never see half a file."""
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
