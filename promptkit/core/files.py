"""Writing output files safely: safe names whatever the prompt, writable folders, atomic writes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(folder: bool = False) -> int:
    """The mode an ordinary new file (or folder) gets under the user's umask: 0644 (0755) under 022."""
    return (0o777 if folder else 0o666) & ~_umask()


@contextlib.contextmanager
def output_dir(folder: str | Path, option: str = "--out") -> Iterator[Path]:
    """`ensure_output_dir` for a block of work: if the block fails, the folders this call created
    are removed again while they are still empty (a failed render leaves no empty `--out`)."""
    path = Path(folder).expanduser()
    created = [p for p in (path, *path.parents) if not p.exists()]
    path = ensure_output_dir(path, option)
    try:
        yield path
    except BaseException:
        for made in created:
            try:
                made.rmdir()
            except OSError:
                break
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write to a temporary name in the same folder, then rename: readers never see half a file.

    The file gets the mode the user's umask gives new files (mkstemp alone makes it owner-only)."""
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), file_mode())
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


@dataclass(frozen=True)
class Artifact:
    """A kind of folder promptkit writes, recognised by its own marker file: JSON holding `keys`."""

    kind: str  # "prompt model", said in errors
    marker: str  # "training.json"
    keys: tuple[str, ...]

    def owns(self, folder: Path) -> bool:
        try:
            data = json.loads((folder / self.marker).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and all(key in data for key in self.keys)


def _protected(path: Path) -> bool:
    """The filesystem root, the home folder, the current folder, or a folder above one of them."""
    from .config import user_data_dir

    with contextlib.suppress(OSError):
        for place in (Path.home(), Path.cwd(), user_data_dir()):
            place = place.expanduser().resolve()
            if path == place or path in place.parents:
                return True
    return path.parent == path


def check_output_folder(out: str | Path, artifact: Artifact, force: bool = False, option: str = "--out") -> Path:
    """Resolve `out` and refuse, before any slow work, a folder whose replacement would destroy the user's files.

    Allowed: a missing or empty folder, or a previous `artifact` of ours (recognised by its marker).
    Refused: an existing file, the root, home, current or data folder (or one above them), and, unless
    `force`, any other folder. Returns the resolved path.
    """
    path = Path(out).expanduser().resolve()
    if _protected(path):
        raise InputError(f"{option} '{out}' is the current, home or data folder (or holds it); pass a new folder, e.g. {option} ./my-{artifact.kind.split()[-1]}")
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} '{out}' is an existing file, not a folder; pass a folder name")
    if path.is_dir() and not force and any(path.iterdir()) and not artifact.owns(path):
        raise InputError(f"{option} '{out}' exists and is not a promptkit {artifact.kind} (no {artifact.marker}); "
                         "pass a new folder, or --force to replace it and everything in it")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<what>old|tmp)-(?P<pid>\d+)(-.*)?$")


def recover_folders(parent: str | Path) -> list[str]:
    """Undo what dead writers left in `parent`: restore a `.NAME.old-PID` whose NAME is missing
    (a crash between the two renames of a swap), remove the other leftovers of dead processes."""
    parent = Path(parent)
    done: list[str] = []
    if not parent.is_dir():
        return done
    for path in sorted(parent.iterdir()):
        match = _LEFTOVER.match(path.name)
        if not match or not path.is_dir() or path.is_symlink() or _alive(int(match["pid"])):
            continue
        target = parent / match["name"]
        with contextlib.suppress(OSError):
            if match["what"] == "old" and not target.exists():
                path.rename(target)
                done.append(f"restored {target}")
            else:
                shutil.rmtree(path)
                done.append(f"removed {path}")
    return done


@contextlib.contextmanager
def replaced_folder(out: str | Path, keep: tuple[str, ...] = (), artifact: Artifact | None = None, force: bool = False) -> Iterator[Path]:
    """Write a whole folder, then swap it in: yields a temporary sibling to write into.

    When the block finishes, the sibling replaces `out` by rename; if it raises (Ctrl-C
    included), `out` stays exactly as it was. Files named in `keep` (a hand-written card, say)
    are carried over from the old folder unless the block wrote them anew. With `artifact`,
    `out` is checked (`check_output_folder`) before and again just before the swap. Leftovers
    of writers that died (`recover_folders`) are cleaned up first.
    """
    out = Path(out).expanduser()
    if artifact is not None:
        out = check_output_folder(out, artifact, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover_folders(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    try:
        yield tmp
        if artifact is not None:
            check_output_folder(out, artifact, force)
        for name in keep:
            if (out / name).is_file() and not (tmp / name).exists():
                shutil.copy2(out / name, tmp / name)
        folder_mode, mode = file_mode(folder=True), file_mode()
        for path in [tmp, *tmp.rglob("*")]:  # mkdtemp makes owner-only folders; the user's umask decides
            path.chmod(folder_mode if path.is_dir() else mode)
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
