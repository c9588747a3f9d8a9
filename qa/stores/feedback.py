"""User feedback on answers ("this answer is right / wrong"), kept as labels beside the index.

Feedback lives in one append-only JSON-lines file, `<data_dir>/labels/feedback.jsonl`. Every record is
written with a single `write` to a file opened in append mode and fsynced before `append` returns, so
a record that was acknowledged survives a crash or restart, and concurrent writers (several UI
sessions) never interleave inside a line. A line torn by a crash is skipped on reading (and reported
in `FeedbackStore.problems`), never fatal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from qa.config import Settings
from qa.errors import DataError, StoreError
from qa.stores.atomic import write_atomic
from qa.types import Answer

FEEDBACK_FILE = "feedback.jsonl"
ExportFormat = Literal["jsonl", "csv"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Feedback:
    """One user judgement of one answer to one question about one product.

    `answer` is None when the judged answer was the "the reviews don't say" (no-answer) prediction.
    """

    question: str
    item_id: str | None
    answer: str | None
    correct: bool
    score: float | None = None
    rank: int | None = None
    review_id: str | None = None
    start: int | None = None
    end: int | None = None
    reader: str | None = None
    retriever: str | None = None
    created: str = field(default_factory=_now)
    feedback_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def from_answer(
        cls,
        question: str,
        item_id: str | None,
        answer: Answer,
        *,
        correct: bool,
        rank: int | None = None,
        reader: str | None = None,
        retriever: str | None = None,
    ) -> Feedback:
        """The feedback record for an `Answer` the facade returned."""
        return cls(
            question=question,
            item_id=item_id,
            answer=answer.text,
            correct=correct,
            score=answer.score,
            rank=rank,
            review_id=answer.review.review_id if answer.review else None,
            start=answer.start,
            end=answer.end,
            reader=reader,
            retriever=retriever,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feedback:
        """Parse one stored record (unknown keys, e.g. from a newer version, are ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if not isinstance(values.get("question"), str) or not isinstance(values.get("correct"), bool):
            raise ValueError("a feedback record needs a string 'question' and a boolean 'correct'")
        return cls(**values)

    @property
    def is_no_answer(self) -> bool:
        """True when the judged answer was the no-answer prediction."""
        return self.answer is None


def _csv_cell(value: Any) -> Any:
    return "" if value is None else value


class FeedbackStore:
    """Append-only feedback labels in one JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: Lines skipped by the last `read_all` (line number and reason), e.g. a line torn by a crash.
        self.problems: list[str] = []

    def append(self, feedback: Feedback) -> None:
        """Add one record durably: a single appended write, fsynced before returning."""
        line = json.dumps(asdict(feedback), ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                data = line.encode("utf-8")
                if not created and _ends_without_newline(self.path):
                    data = b"\n" + data  # a torn last line must not swallow this record
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError(f"short write ({written} of {len(data)} bytes)")
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.path.parent)
        except OSError as error:
            raise StoreError(f"Cannot write feedback to {self.path}: {error}") from error

    def read_all(self) -> list[Feedback]:
        """Every stored record, oldest first ([] when there is no feedback yet)."""
        self.problems = []
        if not self.path.is_file():
            return []
        records = []
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(Feedback.from_dict(json.loads(line)))
                except (ValueError, TypeError) as error:
                    self.problems.append(f"{self.path}:{number}: skipped, not a feedback record ({error})")
        return records

    def __len__(self) -> int:
        return len(self.read_all())

    # -- export ------------------------------------------------------------------------------
    @staticmethod
    def to_jsonl(records: list[Feedback]) -> str:
        """Records as JSON lines."""
        return "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records)

    @staticmethod
    def to_csv(records: list[Feedback]) -> str:
        """Records as CSV with a header row (empty cell = None)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        names = [f.name for f in fields(Feedback)]
        writer.writerow(names)
        for record in records:
            row = asdict(record)
            writer.writerow([_csv_cell(row[name]) for name in names])
        return out.getvalue()

    def export(self, out: Path, file_format: str | None = None) -> int:
        """Write every record to `out` (format from `file_format` or the suffix); returns the count."""
        fmt = (file_format or out.suffix.lstrip(".")).lower()
        if fmt not in EXPORT_FORMATS:
            raise DataError(
                f"Cannot export feedback as {fmt or out.name!r}: use a .jsonl or .csv file, or --format jsonl|csv."
            )
        records = self.read_all()
        text = self.to_jsonl(records) if fmt == "jsonl" else self.to_csv(records)
        try:
            write_atomic(out, text)
        except OSError as error:
            raise DataError(f"Cannot write {out}: {error}") from error
        return len(records)


def _ends_without_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


def _fsync_dir(directory: Path) -> None:
    """Make a newly created file's directory entry durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def feedback_path(settings: Settings) -> Path:
    """Where the feedback of a data directory lives."""
    return settings.labels_dir / FEEDBACK_FILE


def open_feedback(settings: Settings) -> FeedbackStore:
    """The feedback store beside the index and gold labels of `settings`."""
    return FeedbackStore(feedback_path(settings))
