"""The book's retriever table, rebuilt under the rules of the Hugging Face `subjqa` dataset.

The book (chapter 7) reads SubjQA through the Hugging Face `subjqa` dataset and evaluates
Haystack 1.x's `EvalDocuments` over an Elasticsearch index. Reproducing its recall@k needs all of
that dataset's and that setup's rules, which differ from the project's own definitions:

- a question is answerable only if its *first* annotation has a span (the dataset keeps one
  answer list per question, empty when the first annotator found none);
- span texts are `review[start:end]` (the lewtun/SubjQA fork fixed `human_ans_spans` to exactly
  that; the project's loader already reads spans so);
- every split's distinct reviews are written to one index with ids from the text, so a review
  that appears in two splits is kept once, with the meta of the split written last (the
  dataset's split order: train, test, validation);
- the book writes one label per answer with the row number as its id, so only the *last*
  answer of a question survives;
- labels are aggregated by (question, item_id); a group whose labels are all "no answer" counts
  as a hit, otherwise a retrieved review is relevant when it contains one of the group's spans;
- Elasticsearch returns only reviews sharing a term with the query (a BM25 score above 0).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.sources.subjqa import NO_ANSWER_TOKEN, parse_span, read_rows, strip_no_answer_token
from qa.config import Settings
from qa.types import Review

#: The Hugging Face dataset's split order (its DatasetDict), the order the book writes them in.
BOOK_SPLIT_ORDER = ("train", "test", "dev")
#: The book's published BM25 row (Elasticsearch, electronics test).
BOOK_BM25_RECALL = {1: 0.891, 3: 0.955, 5: 0.982, 10: 0.991}


@dataclass(frozen=True)
class BookLabel:
    """One surviving label of the book: a question about a product, with its last answer ("" = none)."""

    question: str
    item_id: str
    answer: str


def book_reviews(source_dir: Path, domain: str, order: Sequence[str] = BOOK_SPLIT_ORDER) -> list[Review]:
    """Every split's distinct reviews, one per text, with the meta of the last split written."""
    by_text: dict[str, Review] = {}
    for split in order:
        seen: set[str] = set()
        for row in read_rows(source_dir, domain, split):
            text = strip_no_answer_token(row["review"])
            if text in seen:  # the book drops duplicate contexts within a split (first kept)
                continue
            seen.add(text)
            by_text[text] = Review(item_id=row["item_id"], text=text, domain=domain, split=split)
    return list(by_text.values())


def book_labels(source_dir: Path, domain: str, split: str) -> list[BookLabel]:
    """One label per question (`q_review_id`): its last span if the first annotation has one, else ""."""
    questions: dict[str, list[dict[str, str]]] = {}
    for row in read_rows(source_dir, domain, split):
        questions.setdefault(row["q_review_id"], []).append(row)
    labels = []
    for rows in questions.values():
        first = rows[0]
        text = strip_no_answer_token(first["review"])
        spans: list[str] = []
        if first["human_ans_spans"].strip() != NO_ANSWER_TOKEN:
            for row in rows:
                span = parse_span(row["human_ans_indices"])
                if row["human_ans_spans"].strip() != NO_ANSWER_TOKEN and span is not None:
                    spans.append(text[span[0] : min(span[1], len(text))])
        labels.append(BookLabel(first["question"], first["item_id"], spans[-1] if spans else ""))
    return labels


def book_rankings(settings: Settings, source_dir: Path, domain: str, split: str, top_k: int) -> list[list[bool]]:
    """Relevance of each group's top-k reviews under the book's rules, BM25 over a store of its own."""
    from indexer.write import write_reviews
    from qa.api import ReviewQA
    from qa.stores.factory import open_store

    groups: dict[tuple[str, str], list[str]] = {}
    for label in book_labels(source_dir, domain, split):
        groups.setdefault((label.question, label.item_id), []).append(label.answer)
    with tempfile.TemporaryDirectory(prefix="reviewqa-book-") as scratch:
        book = Settings(data_dir=Path(scratch), device=settings.device, retriever="bm25")
        write_reviews(open_store(book), book_reviews(source_dir, domain), progress=False)
        api = ReviewQA(book)
        rankings = []
        for (question, item_id), answers in groups.items():
            spans = [a for a in answers if a]
            if not spans:  # Haystack 1.x: an all-"no answer" group is correctly retrieved
                rankings.append([True])
                continue
            retrieved = api.retrieve(question, item_id=item_id, split=split, top_k=top_k)
            rankings.append([any(s in r.review.text for s in spans) for r in retrieved if r.score > 0])
    return rankings
