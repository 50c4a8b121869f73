"""Writing output files safely: safe names whatever the prompt, writable folders, atomic writes."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
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


@contextlib.contextmanager
def replaced_folder(out: str | Path, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """Write a whole folder, then swap it in: yields a temporary sibling to write into.

    When the block finishes, the sibling replaces `out` by rename; if it raises (Ctrl-C
    included), `out` stays exactly as it was. Files named in `keep` (a hand-written card, say)
    are carried over from the old folder unless the block wrote them anew.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        for name in keep:
            if (out / name).is_file() and not (tmp / name).exists():
                shutil.copy2(out / name, tmp / name)
        for path in [tmp, *tmp.rglob("*")]:  # mkdtemp makes owner-only files; artifacts are for everyone to read
            path.chmod(0o755 if path.is_dir() else 0o644)
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
