"""Read prompt datasets: local csv/tsv/jsonl/parquet/txt files or a hub dataset id (through `datasets`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .errors import DatasetError
from .prompts import normalize_whitespace

PROMPT_COLUMNS = ("prompt_norm", "prompt", "long", "text", "caption", "Prompt")
SHORT_COLUMNS = ("short", "description", "short_prompt")
FORMATS = {".txt": "txt", ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class PromptRecord:
    """One prompt; `short` is set for short->long pairs (the short description a user would type)."""

    prompt: str
    short: str | None = None


def looks_like_local_path(source: str) -> bool:
    return source.startswith((".", "/", "~")) or Path(source).suffix.lower() in FORMATS or source.count("/") > 1


def read_prompts(source: str | Path, column: str | None = None, short_column: str | None = None, split: str = "train") -> list[PromptRecord]:
    """All usable prompt records of `source`; rows with an empty prompt are skipped."""
    source = str(source)
    path = Path(source).expanduser()
    if path.exists():
        rows = _read_file(path, column, short_column)
    elif looks_like_local_path(source):
        raise DatasetError(f"dataset file '{source}' does not exist; check the path")
    else:
        rows = _read_hub(source, column, short_column, split)
    records = [r for r in rows if r.prompt]
    if not records:
        raise DatasetError(f"dataset '{source}' holds no prompts; check the file or pass --column NAME")
    return records


def read_lines(path: Path) -> list[str]:
    """Non-empty stripped lines of a UTF-8 text file, with a one-line error for bad bytes."""
    return [line.strip() for line in read_text(path).splitlines() if line.strip()]


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"cannot read '{path}' ({exc.strerror}); check the path and permissions") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DatasetError(f"'{path}' is not valid UTF-8 (bad byte at line {line}); re-save it as UTF-8") from None


def _read_file(path: Path, column: str | None, short_column: str | None) -> list[PromptRecord]:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DatasetError(f"unknown dataset format '{path.suffix}' for '{path}'; use one of {', '.join(sorted(FORMATS))}")
    if fmt == "txt":
        return [PromptRecord(normalize_whitespace(line)) for line in read_lines(path)]
    if fmt == "parquet":
        rows = _read_parquet(path)
    elif fmt == "jsonl":
        rows = _read_jsonl(path)
    else:
        rows = list(csv.DictReader(io.StringIO(read_text(path)), delimiter="\t" if fmt == "tsv" else ","))
    return _records(rows, str(path), column, short_column)


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise DatasetError(f"'{path}' line {number} is not valid JSON; fix it or convert the file to csv") from None
        rows.append(row if isinstance(row, dict) else {"prompt": row})
    return rows


def _read_parquet(path: Path) -> list[dict]:
    try:
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    except Exception as exc:
        raise DatasetError(f"cannot read parquet file '{path}' ({str(exc).splitlines()[0][:160]}); check the file") from None


def _read_hub(dataset_id: str, column: str | None, short_column: str | None, split: str) -> list[PromptRecord]:
    try:
        import datasets as hf_datasets

        dataset = hf_datasets.load_dataset(dataset_id, split=split)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise DatasetError(
            f"could not load dataset '{dataset_id}' from the Hugging Face Hub ({first}); offline, pass a local csv/jsonl/parquet/txt file"
        ) from None
    return _records(iter(dataset), dataset_id, column, short_column)


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


def _records(rows: Iterable[dict], source: str, column: str | None, short_column: str | None) -> list[PromptRecord]:
    iterator: Iterator[dict] = iter(rows)
    first = next(iterator, None)
    if first is None:
        raise DatasetError(f"dataset '{source}' is empty; pass a file with at least one prompt")
    prompt_col = _pick_column(first.keys(), column, PROMPT_COLUMNS, source, required=True)
    short_col = _pick_column(first.keys(), short_column, SHORT_COLUMNS, source, required=False)
    records = []
    for row in [first, *iterator]:
        prompt = row.get(prompt_col)
        if not isinstance(prompt, str):
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
