"""Feedback labels: append-only, durable, readable by a new instance, exportable (API and CLI)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.api import ReviewQA
from qa.config import Settings
from qa.errors import DataError
from qa.stores.feedback import FEEDBACK_FILE, Feedback, FeedbackStore, open_feedback
from qa.types import Answer, Review

REVIEW = Review(item_id="B0074BW614", text="Great for reading books, <b>bright</b> screen.", review_id="r1")
SPAN = Answer(text="Great for reading books", score=0.8, review=REVIEW, start=0, end=23)
NO_ANSWER = Answer(text=None, score=0.6)


def test_records_survive_a_new_store_instance(tmp_path: Path) -> None:
    path = tmp_path / "labels" / FEEDBACK_FILE
    first = FeedbackStore(path)
    first.append(Feedback.from_answer("Good for reading?", "B0074BW614", SPAN, correct=True, rank=1))
    first.append(Feedback.from_answer("Good for reading?", "B0074BW614", NO_ANSWER, correct=False, rank=2))

    records = FeedbackStore(path).read_all()
    assert [(r.answer, r.correct, r.rank) for r in records] == [("Great for reading books", True, 1), (None, False, 2)]
    assert records[0].review_id == "r1" and (records[0].start, records[0].end) == (0, 23)
    assert records[1].is_no_answer and records[0].feedback_id != records[1].feedback_id
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2  # one JSON line per record, appended


def test_missing_file_is_no_feedback(tmp_path: Path) -> None:
    assert FeedbackStore(tmp_path / "nothing.jsonl").read_all() == []


def test_a_torn_last_line_is_skipped_and_never_swallows_new_records(tmp_path: Path) -> None:
    path = tmp_path / FEEDBACK_FILE
    store = FeedbackStore(path)
    store.append(Feedback("q1", "i", "a", True))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"question": "q2", "item_')  # a crash in the middle of a write
    store.append(Feedback("q3", "i", "a", False))
    assert [r.question for r in store.read_all()] == ["q1", "q3"]
    assert len(store.problems) == 1 and ":2:" in store.problems[0]


def test_unknown_keys_from_a_newer_version_are_ignored() -> None:
    record = Feedback.from_dict({"question": "q", "item_id": "i", "answer": None, "correct": True, "new_field": 1})
    assert record.question == "q" and record.correct is True
    with pytest.raises(ValueError):
        Feedback.from_dict({"question": "q", "item_id": "i", "answer": None, "correct": "yes"})


def test_export_jsonl_and_csv(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / FEEDBACK_FILE)
    store.append(Feedback.from_answer('Is it, "really", good?', "B1", SPAN, correct=True, rank=1))
    store.append(Feedback.from_answer("Battery?", "B1", NO_ANSWER, correct=False, rank=1))

    assert store.export(tmp_path / "out" / "fb.jsonl") == 2
    lines = [json.loads(line) for line in (tmp_path / "out" / "fb.jsonl").read_text().splitlines()]
    assert [line["question"] for line in lines] == ['Is it, "really", good?', "Battery?"]

    assert store.export(tmp_path / "fb.csv") == 2
    with (tmp_path / "fb.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["question"] == 'Is it, "really", good?' and rows[0]["correct"] == "True"
    assert rows[1]["answer"] == "" and rows[1]["correct"] == "False"

    assert store.export(tmp_path / "fb.txt", file_format="jsonl") == 2
    with pytest.raises(DataError, match=r"\.jsonl or \.csv"):
        store.export(tmp_path / "fb.xlsx")


def test_facade_records_feedback_beside_the_labels(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, device="cpu")
    api = ReviewQA(settings)
    record = api.record_feedback("Good for reading?", "B0074BW614", SPAN, correct=True, rank=1)
    assert record.retriever == settings.retrieval.retriever and record.reader == settings.reader.model
    assert api.feedback.path == tmp_path / "labels" / FEEDBACK_FILE
    assert open_feedback(settings).read_all() == [record]  # a new store instance reads it back


def test_cli_feedback_export(tmp_path: Path) -> None:
    from qa.cli import app

    settings = Settings(data_dir=tmp_path)
    open_feedback(settings).append(Feedback.from_answer("Good?", "B1", SPAN, correct=False, rank=3))
    runner = CliRunner()
    out = tmp_path / "export.csv"
    result = runner.invoke(app, ["feedback", "export", str(out), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Exported 1 feedback records" in result.output
    assert "Good?" in out.read_text()

    bad = runner.invoke(app, ["feedback", "export", str(tmp_path / "x.pdf"), "--data-dir", str(tmp_path)])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: Cannot export feedback as 'pdf'")
