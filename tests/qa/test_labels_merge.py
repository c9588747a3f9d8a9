"""Gold labels are merged by question id: another copy of a dataset adds and updates, never drops."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from qa.stores.labels import LabelMerge, LabelStore
from qa.types import GoldAnswer, Question


def question(question_id: str, text: str = "Is it good?") -> Question:
    return Question(
        question_id=question_id,
        question=text,
        item_id="B1",
        review_id="r1",
        review_text="It is good.",
        domain="electronics",
        split="test",
        answers=(GoldAnswer(text="good", start=6, end=10),),
    )


def test_merge_adds_updates_and_keeps(tmp_path: Path) -> None:
    labels = LabelStore(tmp_path)
    assert labels.merge("electronics", "test", [question("a"), question("b")]) == LabelMerge(0, 2, 0)
    file = labels.path("electronics", "test")
    written = file.stat().st_mtime_ns
    assert labels.merge("electronics", "test", [question("b")]) == LabelMerge(kept=2, added=0, updated=0)
    assert file.stat().st_mtime_ns == written  # nothing changed, nothing written
    merge = labels.merge("electronics", "test", [replace(question("b"), question="Is it loud?"), question("c")])
    assert merge == LabelMerge(kept=1, added=1, updated=1) and merge.total == 3
    stored = labels.read("electronics", "test")
    assert [q.question_id for q in stored] == ["a", "b", "c"] and stored[1].question == "Is it loud?"


def test_an_empty_split_is_still_written_once(tmp_path: Path) -> None:
    labels = LabelStore(tmp_path)
    assert labels.merge("electronics", "dev", []) == LabelMerge(0, 0, 0)
    assert labels.read("electronics", "dev") == [] and ("electronics", "dev") in labels.available()
