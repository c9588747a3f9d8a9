"""Import a user's own reviews from a CSV or JSON Lines file, with a column mapping."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path

from indexer.sources.files import CsvFile, read_text
from qa.config import MAX_REVIEW_CHARS
from qa.errors import DataError
from qa.types import LoadReport, Review

_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_MAX_LISTED = 10
_JSON_TYPES = {
    "list": "an array",
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "NoneType": "null",
    "dict": "an object",
}


@dataclass(frozen=True)
class ColumnMapping:
    """Which column (CSV) or key (JSONL) holds each review field; None means "not used"."""

    item_id: str = "item_id"
    text: str = "text"
    review_id: str | None = "review_id"
    title: str | None = "title"
    rating: str | None = "rating"

    @classmethod
    def parse(cls, spec: str | None) -> ColumnMapping:
        """Parse a CLI spec such as "item_id=asin,text=body,rating=stars" (empty = defaults).

        An empty value disables an optional field ("rating=").
        """
        valid = [f.name for f in fields(cls)]
        hint = f"valid keys: {', '.join(valid)}"
        values: dict[str, str | None] = {}
        for pair in (spec or "").split(","):
            if not pair.strip():
                continue
            key, sep, value = (part.strip() for part in pair.partition("="))
            if not sep or not key:
                raise DataError(f"column mapping: expected field=column, got {pair!r} ({hint})")
            if key not in valid:
                raise DataError(f"column mapping: unknown field {key!r} ({hint})")
            if key in values:
                raise DataError(f"column mapping: field {key!r} given twice")
            if not value and key in ("item_id", "text"):
                raise DataError(f"column mapping: required field {key!r} needs a column name")
            values[key] = value or None
        return cls(**values)  # type: ignore[arg-type]


class BadRowPolicy(str, Enum):
    """What to do with rows that cannot become a Review."""

    SKIP = "skip"
    REJECT = "reject"


@dataclass(frozen=True)
class BadRow:
    """A row that was not imported: its 1-based line in the file, and why."""

    line: int
    reason: str


def load_user_reviews(
    path: Path,
    mapping: ColumnMapping = ColumnMapping(),
    *,
    domain: str = "custom",
    on_bad_row: BadRowPolicy = BadRowPolicy.SKIP,
    file_format: str | None = None,
) -> tuple[list[Review], LoadReport, list[BadRow]]:
    """Load reviews from a .csv or .jsonl/.ndjson file; bad rows are skipped or rejected.

    A file that yields no review at all (only a header, or only bad rows) is a `DataError` under
    either policy: importing nothing is never reported as a success.
    """
    path = Path(path)
    try:
        policy = BadRowPolicy(on_bad_row)
    except ValueError:
        raise DataError(f"on_bad_row must be 'skip' or 'reject', not {on_bad_row!r}") from None
    fmt = _detect_format(path, file_format)
    text = _read_text(path)
    rows = _csv_rows(path, text, mapping) if fmt == "csv" else _jsonl_rows(text)
    reviews: list[Review] = []
    bad: list[BadRow] = []
    rows_read = 0
    for line, record in rows:
        rows_read += 1
        result = record if isinstance(record, str) else _to_review(record, mapping, domain)
        if isinstance(result, str):
            bad.append(BadRow(line, result))
        else:
            reviews.append(result)
    problems = tuple(f"line {b.line}: {b.reason}" for b in bad)
    more = f"; ... and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
    listed = f"{'; '.join(problems[:_MAX_LISTED])}{more}"
    if bad and policy is BadRowPolicy.REJECT:
        raise DataError(f"{path}: {len(bad)} bad row(s): {listed}")
    if not reviews:  # skipping every row would "succeed" with nothing imported: say so instead
        raise DataError(
            f"{path}: no reviews to import: every one of its {rows_read} row(s) is bad: {listed}"
            if bad
            else f"{path}: no reviews to import: the file has a header but no rows"
        )
    return reviews, LoadReport(rows_read=rows_read, dropped=len(bad), problems=problems), bad


def _detect_format(path: Path, file_format: str | None) -> str:
    if file_format is not None:
        fmt = file_format.strip().lower()
        if fmt not in ("csv", "jsonl"):
            raise DataError(f"unknown file format {file_format!r}: use 'csv' or 'jsonl'")
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".json":
        raise DataError(
            f"{path}: .json files are not supported; convert to JSON Lines "
            "(one JSON object per line) and save as .jsonl"
        )
    if suffix not in _SUFFIXES:
        raise DataError(f"{path}: cannot tell the format from suffix {suffix!r}; use .csv, .jsonl or .ndjson")
    return _SUFFIXES[suffix]


def _read_text(path: Path) -> str:
    text = read_text(path)
    if not text.strip():
        raise DataError(f"{path}: file is empty")
    return text


_Rows = Iterator[tuple[int, Mapping[str, object] | str]]


def _csv_rows(path: Path, text: str, mapping: ColumnMapping) -> _Rows:
    """Check the header eagerly, then yield (start line, row dict or bad-row reason)."""
    table = CsvFile(path, text)
    header = table.header
    found = ", ".join(header)
    missing = [c for c in (mapping.item_id, mapping.text) if c not in header]
    if missing:
        raise DataError(f"{path}: missing required column(s) {', '.join(missing)}; columns found: {found}")
    default = ColumnMapping()
    for name in ("review_id", "title", "rating"):
        column = getattr(mapping, name)
        if column is not None and column != getattr(default, name) and column not in header:
            raise DataError(f"{path}: column {column!r} (for {name}) not found; columns: {found}")

    def records() -> _Rows:
        for record in table.records():
            if record.fields is None:
                yield record.line, str(record.problem)
            else:
                yield record.line, dict(zip(header, record.fields, strict=True))

    return records()


class _DuplicateKey(ValueError):
    """A JSON object names one key twice (json.loads would keep only the last value)."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    record: dict[str, object] = {}
    for key, value in pairs:
        if key in record:
            raise _DuplicateKey(f"key {key!r} appears twice in the object")
        record[key] = value
    return record


def _jsonl_rows(text: str) -> _Rows:
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            yield line, f"invalid JSON: {exc.msg} (column {exc.colno})"
            continue
        except _DuplicateKey as exc:
            yield line, str(exc)
            continue
        if isinstance(record, dict):
            yield line, record
        else:
            yield line, f"expected a JSON object, found {_JSON_TYPES[type(record).__name__]}"


def _to_review(record: Mapping[str, object], mapping: ColumnMapping, domain: str) -> Review | str:
    """Build a Review, or return the reason the record is bad."""
    values: dict[str, str | None] = {}
    for name in ("item_id", "text", "review_id", "title", "rating"):
        column = getattr(mapping, name)
        value = record.get(column) if column is not None else None
        if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
            return f"{column!r} must be a string or number, not {_JSON_TYPES[type(value).__name__]}"
        values[name] = (str(value).strip() or None) if value is not None else None
    for name in ("item_id", "text"):
        if values[name] is None:
            return f"missing or empty {name} (column {getattr(mapping, name)!r})"
    if len(str(values["text"])) > MAX_REVIEW_CHARS:
        return f"review too long ({len(str(values['text'])):,} chars, limit {MAX_REVIEW_CHARS:,})"
    rating: float | None = None
    if values["rating"] is not None:
        try:
            rating = float(values["rating"])
        except ValueError:
            rating = math.nan
        if not math.isfinite(rating):
            return f"rating {values['rating']!r} is not a number"
    item_id, text = str(values["item_id"]), str(values["text"])
    return Review(
        item_id=item_id,
        text=text,
        review_id=values["review_id"],
        domain=domain,
        split=None,
        title=values["title"],
        rating=rating,
    )
