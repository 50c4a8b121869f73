"""Read prompt datasets: local csv/tsv/jsonl/parquet/txt files or a hub dataset id (through `datasets`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import looks_like_path
from .errors import DatasetError, first_line
from .text import Blocklist, normalize_commas, normalize_whitespace

PROMPT_COLUMNS = ("prompt_norm", "prompt", "long", "text", "caption", "Prompt")
SHORT_COLUMNS = ("short", "description", "short_prompt")
FORMATS = {".txt": "txt", ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class PromptRecord:
    """One prompt; `short` is set for short->long pairs (the short description a user would type)."""

    prompt: str
    short: str | None = None


class _Skips:
    """Counts rows skipped in lenient mode; in strict mode the first bad row raises instead."""

    def __init__(self, lenient: bool):
        self.lenient = lenient
        self.count = 0

    def skip(self, error: str) -> None:
        if not self.lenient:
            raise DatasetError(error)
        self.count += 1


def read_prompts(source: str | Path, column: str | None = None, short_column: str | None = None, split: str = "train") -> list[PromptRecord]:
    """All usable prompt records of `source`; rows with an empty prompt are skipped."""
    return _read(source, column, short_column, split, _Skips(lenient=False))


def read_prompts_lenient(source: str | Path, column: str | None = None, split: str = "train") -> tuple[list[PromptRecord], int]:
    """Like read_prompts, but undecodable or malformed rows are skipped and counted, not fatal."""
    skips = _Skips(lenient=True)
    records = _read(source, column, None, split, skips)
    return records, skips.count


def _read(source: str | Path, column: str | None, short_column: str | None, split: str, skips: _Skips) -> list[PromptRecord]:
    source = str(source)
    path = Path(source).expanduser()
    if path.is_dir():
        raise DatasetError(f"dataset '{source}' is a folder; pass a csv/tsv/jsonl/parquet/txt file")
    if path.exists():
        rows = _read_file(path, column, short_column, skips)
    elif looks_like_path(source, tuple(FORMATS)):
        raise DatasetError(f"dataset file '{source}' does not exist; check the path")
    else:
        rows = _read_hub(source, column, short_column, split, skips)
    records = [r for r in rows if r.prompt]
    if not records:
        skipped = f" ({skips.count:,} malformed rows skipped)" if skips.count else ""
        raise DatasetError(f"dataset '{source}' holds no prompts{skipped}; check the file or pass --column NAME")
    return records


MAX_PROMPT_FILE_BYTES = 64 * 1024 * 1024  # a prompt file (expand --file, stdin) larger than this is a mistake


def read_lines(path: Path, max_bytes: int | None = MAX_PROMPT_FILE_BYTES) -> list[str]:
    """Non-empty stripped lines of a UTF-8 text file, with a one-line error for bad bytes or a file too large."""
    return [line.strip() for line in read_text(path, max_bytes=max_bytes).splitlines() if line.strip()]


def read_limited(stream, max_bytes: int | None, what: str) -> bytes:
    """Read `stream` whole, or fail in one line once it passes `max_bytes` (/dev/zero never ends)."""
    data = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise DatasetError(f"{what} is larger than {max_bytes // 2**20} MB; pass a smaller file")
    return data


def read_text(path: Path, skips: _Skips | None = None, max_bytes: int | None = None) -> str:
    """The file as text; in lenient mode, lines that are not valid UTF-8 are dropped and counted."""
    try:
        with open(path, "rb") as handle:
            data = read_limited(handle, max_bytes, f"'{path}'")
    except OSError as exc:
        raise DatasetError(f"cannot read '{path}' ({exc.strerror}); check the path and permissions") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        error = f"'{path}' is not valid UTF-8 (bad byte at line {line}); re-save it as UTF-8"
        if skips is None or not skips.lenient:
            raise DatasetError(error) from None
    lines = []
    for raw in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            skips.skip(error)
    return "\n".join(lines)


def _read_file(path: Path, column: str | None, short_column: str | None, skips: _Skips) -> list[PromptRecord]:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DatasetError(f"unknown dataset format '{path.suffix}' for '{path}'; use one of {', '.join(sorted(FORMATS))}")
    if fmt == "txt":
        lines = [line.strip() for line in read_text(path, skips).splitlines() if line.strip()]
        return [PromptRecord(normalize_whitespace(line)) for line in lines]
    if fmt == "parquet":
        rows = _read_parquet(path)
    elif fmt == "jsonl":
        rows = _read_jsonl(path, skips)
    else:
        rows = _read_csv(path, fmt, skips)
    return _records(rows, str(path), column, short_column, skips)


def _read_csv(path: Path, fmt: str, skips: _Skips) -> list[dict]:
    """Rows of a csv/tsv file; a malformed row (a field past the csv module's 131,072-character limit) is skipped."""
    reader = csv.DictReader(io.StringIO(read_text(path, skips)), delimiter="\t" if fmt == "tsv" else ",")
    rows = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            skips.skip(f"'{path}' line {reader.line_num} is malformed ({first_line(exc, 80)}); fix or remove it")
            continue
        rows.append(row)


def _read_jsonl(path: Path, skips: _Skips) -> list[dict]:
    rows = []
    for number, line in enumerate(read_text(path, skips).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            skips.skip(f"'{path}' line {number} is not valid JSON; fix it or convert the file to csv")
            continue
        rows.append(row if isinstance(row, dict) else {"prompt": row})
    return rows


def _read_parquet(path: Path) -> list[dict]:
    try:
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    except Exception as exc:
        raise DatasetError(f"cannot read parquet file '{path}' ({first_line(exc, 160)}); check the file") from None


def _read_hub(dataset_id: str, column: str | None, short_column: str | None, split: str, skips: _Skips) -> list[PromptRecord]:
    try:
        import datasets as hf_datasets

        dataset = hf_datasets.load_dataset(dataset_id, split=split)
    except Exception as exc:
        first = first_line(exc, 160)
        raise DatasetError(
            f"could not load dataset '{dataset_id}' from the Hugging Face Hub ({first}); offline, pass a local csv/jsonl/parquet/txt file"
        ) from None
    return _records(iter(dataset), dataset_id, column, short_column, skips)


def _pick_column(columns: Iterable[str], wanted: str | None, candidates: tuple[str, ...], source: str, required: bool) -> str | None:
    columns = list(columns)
    if wanted is not None:
        if wanted not in columns:
            raise DatasetError(f"column '{wanted}' not found in '{source}'; available: {', '.join(columns[:12])}")
        return wanted
    for name in candidates:
        if name in columns:
            return name
    if required:
        raise DatasetError(f"no prompt column in '{source}' (looked for {', '.join(candidates)}); pass --column NAME")
    return None


def _records(rows: Iterable[dict], source: str, column: str | None, short_column: str | None, skips: _Skips) -> list[PromptRecord]:
    iterator: Iterator[dict] = iter(rows)
    first = next(iterator, None)
    if first is None:
        skipped = f" (all {skips.count:,} rows malformed, skipped)" if skips.count else ""
        raise DatasetError(f"dataset '{source}' is empty{skipped}; pass a file with at least one prompt")
    prompt_col = _pick_column(first.keys(), column, PROMPT_COLUMNS, source, required=True)
    short_col = _pick_column(first.keys(), short_column, SHORT_COLUMNS, source, required=False)
    records = []
    for row in [first, *iterator]:
        prompt = row.get(prompt_col)
        # A missing value or, read leniently, a csv row with extra fields (DictReader's None key).
        if not isinstance(prompt, str) or (skips.lenient and None in row):
            if skips.lenient:
                skips.count += 1
            continue
        short = row.get(short_col) if short_col else None
        records.append(PromptRecord(normalize_whitespace(prompt), normalize_whitespace(short) if isinstance(short, str) and short.strip() else None))
    return records


def heldout_bucket(text: str) -> int:
    """A stable bucket 0..99 from the prompt's normalised key; training and eval share the split."""
    key = " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())
    return int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16) % 100


def is_heldout(record: PromptRecord, percent: float) -> bool:
    return heldout_bucket(record.prompt) < percent


# --- cleaning for the search index ------------------------------------------------------------


@dataclass(frozen=True)
class CleanStats:
    """What cleaning did to a dataset: rows read, and each reason a row was dropped or flagged."""

    rows: int = 0
    malformed: int = 0
    empty: int = 0
    duplicates: int = 0
    nsfw_dropped: int = 0
    nsfw_kept: int = 0
    heldout_dropped: int = 0
    kept: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def dedupe_key(prompt: str) -> str:
    """Prompts equal up to case, spacing and comma style count as duplicates."""
    return normalize_commas(prompt).lower()


def clean_prompts(
    records: Iterable[PromptRecord], malformed: int = 0, keep_nsfw: bool = False,
    exclude_heldout: float | None = None, blocklist: Blocklist | None = None,
) -> tuple[list[str], list[bool], CleanStats]:
    """Normalised, de-duplicated prompts (first occurrence kept) and their NSFW flags.

    NSFW prompts (the default sexual/gore blocklist) are dropped unless `keep_nsfw`, then flagged.
    `exclude_heldout` drops the held-out hash bucket so evaluation on it stays honest.
    """
    blocklist = blocklist or Blocklist()
    counts = dict(rows=0, empty=0, duplicates=0, nsfw_dropped=0, nsfw_kept=0, heldout_dropped=0)
    seen: set[str] = set()
    prompts: list[str] = []
    flags: list[bool] = []
    for record in records:
        counts["rows"] += 1
        text = normalize_commas(record.prompt)
        if not text:
            counts["empty"] += 1
            continue
        if exclude_heldout is not None and is_heldout(record, exclude_heldout):
            counts["heldout_dropped"] += 1
            continue
        key = dedupe_key(text)
        if key in seen:
            counts["duplicates"] += 1
            continue
        seen.add(key)
        nsfw = blocklist.matches(text)
        if nsfw and not keep_nsfw:
            counts["nsfw_dropped"] += 1
            continue
        counts["nsfw_kept"] += nsfw
        prompts.append(text)
        flags.append(nsfw)
    return prompts, flags, CleanStats(malformed=malformed, kept=len(prompts), **counts)
