"""Reading input files the same way everywhere: decoding, CSV structure, and one clear error per problem.

Every file a user hands to reviewqa (SubjQA CSVs, their own CSV or JSON Lines reviews) goes through
`read_text`, and every CSV through `CsvFile`, so each class of bad input is reported once, naming the
file and the line: a byte that is not UTF-8, a header that names a column twice, a quote that is
never closed, a record with the wrong number of fields.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import DataError, os_error_message

#: Python's csv module refuses fields over 128 KiB and then misreads the rest of the file; fields are
#: limited by the callers instead (e.g. `qa.config.MAX_REVIEW_CHARS`), with a message per row.
_CSV_FIELD_LIMIT = 2**31 - 1
_QUOTE_OR_BREAK = re.compile(r'"|,|\r\n|\n|\r')


def read_text(path: Path) -> str:
    """The text of `path` as UTF-8 (a byte-order mark is dropped); one DataError for every failure.

    A byte that is not UTF-8 is reported with its line and byte offset; a missing file, a folder or
    an unreadable file with the path and what to do.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file.")
    if not path.exists():
        raise DataError(f"{path}: file not found.")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(os_error_message(error, "read")) from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        raise DataError(
            f"{path}: line {line}, column {column}: byte 0x{data[offset]:02x} at byte offset {offset} is not "
            "valid UTF-8; save the file as UTF-8."
        ) from None
    return text.removeprefix("\ufeff")


@dataclass(frozen=True)
class CsvRecord:
    """One CSV record: the line it starts on, and its fields (or why it cannot be used)."""

    line: int
    fields: list[str] | None
    problem: str | None = None


class CsvFile:
    """A CSV file checked as a whole: its header (no empty file, no duplicated column) and its records.

    Records with the wrong number of fields carry a `problem` instead of fields (a quote that swallows
    the following lines is named as such); a quote left open until the end of the file is a DataError,
    since everything after it would be read as one field.
    """

    def __init__(self, path: Path, text: str | None = None) -> None:
        self.path = Path(path)
        self.text = read_text(self.path) if text is None else text
        if not self.text.strip():
            raise DataError(f"{self.path}: file is empty.")
        csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
        self._lines = io.StringIO(self.text, newline="").readlines()
        self._reader = csv.reader(iter(self._lines))
        try:
            header = next(self._reader)
        except csv.Error as error:
            raise DataError(f"{self.path}: line 1: cannot parse the CSV header: {error}.") from error
        self._check_open_quote(1, self._reader.line_num)
        self.header = [name.strip() for name in header]
        seen: dict[str, int] = {}
        for position, name in enumerate(self.header, start=1):
            if name in seen:
                raise DataError(
                    f"{self.path}: line 1: column {name!r} appears twice in the header (columns {seen[name]} "
                    f"and {position}); rename or remove one."
                )
            seen[name] = position

    def records(self) -> Iterator[CsvRecord]:
        """Every non-blank record after the header, with the line it starts on."""
        last = self._reader.line_num
        while True:
            start = last + 1  # line_num after a read is the record's END line
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise DataError(f"{self.path}: line {start}: malformed CSV: {error}.") from error
            last = self._reader.line_num
            if not row:  # a blank line holds no record
                continue
            self._check_open_quote(start, last)
            if len(row) == len(self.header):
                swallowed = self._swallowed_records(start, last)
                if swallowed is None:
                    yield CsvRecord(start, row)
                else:
                    yield CsvRecord(start, None, swallowed)
                continue
            problem = f"expected {len(self.header)} fields, found {len(row)}"
            quoted = _multiline_quote(self._raw(start, last), start)
            if quoted is not None:
                problem += (
                    f": unterminated quote starting on line {quoted[0]} (the quoted field runs to line {quoted[1]})"
                )
            yield CsvRecord(start, None, problem)

    def _swallowed_records(self, start: int, end: int) -> str | None:
        """Why the record on lines start..end looks like a stray quote that swallowed whole records.

        A quoted field may hold line breaks; but when every line strictly inside it would be a
        complete record on its own (as many fields as the header, at least three), a quote was most likely left open
        and closed by chance further down. Reporting it keeps those records from vanishing into one
        review's text.
        """
        quoted = _multiline_quote(self._raw(start, end), start)
        if quoted is None or quoted[1] - quoted[0] < 2 or len(self.header) < 3:
            return None  # with one or two columns, a review's own lines would look like records too
        inner = self._lines[quoted[0] : quoted[1] - 1]
        if not all(len(next(csv.reader([line]), [])) == len(self.header) for line in inner):
            return None
        return (
            f"the quote on line {quoted[0]} runs to line {quoted[1]} and swallows {len(inner)} line(s) that look "
            'like whole records: close the quote (a quote inside a quoted field is written "")'
        )

    def _raw(self, start: int, end: int) -> str:
        return "".join(self._lines[start - 1 : end])

    def _check_open_quote(self, start: int, end: int) -> None:
        """A DataError when the record on lines start..end is the last one and ends inside a quote."""
        if end < len(self._lines):
            return
        opened = _open_quote_at_end(self._raw(start, end), start)
        if opened is not None:
            raise DataError(
                f"{self.path}: unterminated quote starting on line {opened}: everything after it would be read "
                'as one field. Close the quote (a quote inside a quoted field is written "").'
            )


def _quoted_fields(raw: str, first_line: int) -> Iterator[tuple[int, int | None]]:
    """(opening line, closing line or None when never closed) of every quoted field in a record's raw text."""
    line = first_line
    field_start = 0
    opened: int | None = None
    position = 0
    while True:
        match = _QUOTE_OR_BREAK.search(raw, position)
        if match is None:
            break
        symbol, position = match.group(), match.end()
        if opened is not None:
            if symbol == '"':
                if raw.startswith('"', position):  # "" is a quote inside the field
                    position += 1
                else:
                    yield opened, line
                    opened = None
            elif symbol != ",":
                line += 1
            continue
        if symbol == '"' and match.start() == field_start:
            opened = line
        elif symbol == ",":
            field_start = position
        elif symbol != '"':
            line += 1
            field_start = position
    if opened is not None:
        yield opened, None


def _open_quote_at_end(raw: str, first_line: int) -> int | None:
    for opened, closed in _quoted_fields(raw, first_line):
        if closed is None:
            return opened
    return None


def _multiline_quote(raw: str, first_line: int) -> tuple[int, int] | None:
    """The first quoted field spanning several lines (opening, closing line), a likely unclosed quote."""
    for opened, closed in _quoted_fields(raw, first_line):
        if closed is not None and closed > opened:
            return opened, closed
    return None
