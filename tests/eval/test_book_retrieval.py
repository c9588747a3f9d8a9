"""The book's retriever definition (Hugging Face subjqa rules) on hand-built CSVs and on SubjQA."""

from __future__ import annotations

import csv
from pathlib import Path

from eval.book_retrieval import BOOK_BM25_RECALL, book_labels, book_rankings, book_reviews, lucene_book_rankings
from indexer.sources.subjqa import NO_ANSWER_TOKEN, REQUIRED_COLUMNS
from qa.config import Settings

BATTERY = "The battery lasts all day and charges fast."
SCREEN = "The screen is bright but the speakers are weak."


def _row(qid: str, question: str, item: str, review: str, span: str | None) -> dict[str, str]:
    text = f"{review} {NO_ANSWER_TOKEN}"
    start = review.find(span) if span else len(review) + 1
    end = start + len(span) if span else len(text)
    return {
        "item_id": item,
        "domain": "electronics",
        "q_review_id": qid,
        "question": question,
        "review_id": f"r-{item}-{review[:5]}",
        "review": text,
        "human_ans_spans": span or NO_ANSWER_TOKEN,
        "human_ans_indices": f"({start}, {end})",
        "is_ques_subjective": "True",
    }


def _write(root: Path, split: str, rows: list[dict[str, str]]) -> None:
    folder = root / "electronics"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{split}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(REQUIRED_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def _dataset(root: Path) -> None:
    fillers = [f"Filler review number {n} about the cable." for n in range(4)]  # BM25 needs a corpus
    _write(
        root,
        "train",
        [_row("t1", "Is the screen bright?", "P1", SCREEN, "bright")]
        + [_row(f"f{n}", "Is it long?", "P3", text, None) for n, text in enumerate(fillers)],
    )
    _write(
        root,
        "test",
        [
            # first annotation has a span: answerable; the last span is the one that survives
            _row("q1", "How is the battery?", "P1", BATTERY, "lasts all day"),
            _row("q1", "How is the battery?", "P1", BATTERY, "charges fast"),
            # first annotation says "no answer": not answerable, whatever the second says
            _row("q2", "Is the screen bright?", "P1", SCREEN, None),
            _row("q2", "Is the screen bright?", "P1", SCREEN, "bright"),
        ],
    )
    _write(root, "dev", [_row("d1", "How is it?", "P2", SCREEN, None)])


def test_the_datasets_rules_on_hand_built_rows(tmp_path: Path) -> None:
    _dataset(tmp_path)
    labels = book_labels(tmp_path, "electronics", "test")
    assert [(label.question, label.answer) for label in labels] == [
        ("How is the battery?", "charges fast"),
        ("Is the screen bright?", ""),
    ]
    reviews = {r.text: r for r in book_reviews(tmp_path, "electronics")}
    assert {BATTERY, SCREEN} <= set(reviews) and len(reviews) == 6  # one document per text
    assert (reviews[SCREEN].split, reviews[SCREEN].item_id) == ("dev", "P2")  # the split written last wins
    rankings = book_rankings(Settings(data_dir=tmp_path / "data"), tmp_path, "electronics", "test", top_k=5)
    assert rankings == [[True], [True]]  # the battery review holds its span; the no-answer group is a hit


def test_electronics_test_reproduces_the_books_table_within_two_groups(subjqa_dir: Path, tmp_path: Path) -> None:
    for rankings in (
        book_rankings(Settings(data_dir=tmp_path), subjqa_dir, "electronics", "test", top_k=10),
        lucene_book_rankings(subjqa_dir, "electronics", "test", top_k=10),
    ):
        assert len(rankings) == 330
        for k, published in BOOK_BM25_RECALL.items():  # the book's BM25 on Elasticsearch
            hits = sum(1 for ranking in rankings if any(ranking[:k]))
            assert abs(hits - round(published * 330)) <= 2, (k, hits)
