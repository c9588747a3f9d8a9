"""SubjQA loading on the real CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from indexer.documents import review_document_id, review_to_document
from indexer.sources.subjqa import NO_ANSWER_TOKEN, load_subjqa
from indexer.squad import to_squad_json, to_training_examples
from qa.errors import DataError


@pytest.mark.parametrize(("split", "expected"), [("train", 1295), ("dev", 255), ("test", 358)])
def test_electronics_question_counts(subjqa_dir: Path, split: str, expected: int) -> None:
    assert len(load_subjqa(subjqa_dir, "electronics", split).questions) == expected


def test_reviews_lose_the_no_answer_token_and_answers_are_offsets(subjqa_dir: Path) -> None:
    part = load_subjqa(subjqa_dir, "electronics", "test")
    assert all(not r.text.endswith(NO_ANSWER_TOKEN) for r in part.reviews)
    for q in part.questions:
        for a in q.answers:
            assert q.review_text[a.start : a.end] == a.text and a.text


def test_annotations_are_grouped_and_no_answer_marked(subjqa_dir: Path) -> None:
    path = subjqa_dir / "electronics" / "test.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_question: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_question.setdefault(row["q_review_id"], []).append(row)
    part = load_subjqa(subjqa_dir, "electronics", "test")
    questions = {q.question_id: q for q in part.questions}
    for qid, rows_of_question in by_question.items():
        spans = {r["human_ans_indices"] for r in rows_of_question if r["human_ans_spans"] != NO_ANSWER_TOKEN}
        assert questions[qid].is_answerable == bool(spans)
        assert len(questions[qid].answers) <= len(spans)
    assert part.report.rows_read == len(rows) == 718
    assert sum(not q.is_answerable for q in part.questions) == 120


def test_spans_past_the_review_end_are_repaired_and_counted(subjqa_dir: Path) -> None:
    part = load_subjqa(subjqa_dir, "electronics", "test")
    assert part.report.repaired == 4 and part.report.dropped == 0
    assert all("clipped" in p for p in part.report.problems)


def test_missing_directory_and_bad_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_subjqa(tmp_path / "missing", "electronics", "test")
    (tmp_path / "electronics").mkdir()
    (tmp_path / "electronics" / "test.csv").write_text("item_id,review\nA,text\n")
    with pytest.raises(DataError, match="missing columns"):
        load_subjqa(tmp_path, "electronics", "test")
    with pytest.raises(DataError, match="Unknown SubjQA domain"):
        load_subjqa(tmp_path, "cars", "test")


def test_document_ids_are_deterministic(subjqa_dir: Path) -> None:
    first = load_subjqa(subjqa_dir, "electronics", "dev").reviews
    again = load_subjqa(subjqa_dir, "electronics", "dev").reviews
    assert [review_document_id(r) for r in first] == [review_document_id(r) for r in again]
    assert len({review_document_id(r) for r in first}) == len(first)
    doc = review_to_document(first[0])
    assert doc.content == first[0].text and doc.meta["split"] == "dev" and doc.meta["domain"] == "electronics"


def test_squad_conversion(subjqa_dir: Path) -> None:
    questions = load_subjqa(subjqa_dir, "electronics", "dev").questions
    examples = to_training_examples(questions)
    assert len(examples) == sum(max(1, len(q.answers)) for q in questions)
    for e in examples:
        if e.answer_text is not None:
            assert e.context[e.answer_start : e.answer_start + len(e.answer_text)] == e.answer_text
    squad = to_squad_json(questions)
    qas = [qa for article in squad["data"] for p in article["paragraphs"] for qa in p["qas"]]
    assert len(qas) == 255 and sum(qa["is_impossible"] for qa in qas) == 255 - 99
