"""The book's retriever table, rebuilt under the rules of the Hugging Face `subjqa` dataset.

The book (chapter 7) reads SubjQA through the Hugging Face `subjqa` dataset and evaluates
Haystack 1.x's `EvalDocuments` over an Elasticsearch index. Reproducing its recall@k needs all of
that dataset's and that setup's rules, which differ from the project's own definitions:

- a question is answerable only if its *first* annotation has a span (the dataset keeps one
  answer list per question, empty when the first annotator found none);
- span texts are the raw review's `review[start:end]`, stripped (the lewtun/SubjQA fork fixed
  `human_ans_spans` to exactly that), so a span that runs into the appended ` ANSWERNOTFOUND`
  keeps part of it and matches no document (the documents are the reviews without the token);
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
from collections.abc import Callable, Sequence
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
        # The dataset lists a split product by product (a pandas groupby, sorted by item_id), and the
        # book keeps the first of duplicate contexts within a split.
        for row in sorted(read_rows(source_dir, domain, split), key=lambda r: r["item_id"]):
            text = strip_no_answer_token(row["review"])
            if text in seen:
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
        spans: list[str] = []
        if first["human_ans_spans"].strip() != NO_ANSWER_TOKEN:
            for row in rows:
                span = parse_span(row["human_ans_indices"])
                if row["human_ans_spans"].strip() != NO_ANSWER_TOKEN and span is not None:
                    # The fork's text: the raw review's slice, token included when a span runs into it.
                    spans.append(row["review"][span[0] : span[1]].strip())
        labels.append(BookLabel(first["question"], first["item_id"], spans[-1] if spans else ""))
    return labels


Ranker = Callable[[str, str, str, int], list[str]]


def _groups(source_dir: Path, domain: str, split: str) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for label in book_labels(source_dir, domain, split):
        groups.setdefault((label.question, label.item_id), []).append(label.answer)
    return groups


def _rank_all(groups: dict[tuple[str, str], list[str]], split: str, top_k: int, rank: Ranker) -> list[list[bool]]:
    rankings = []
    for (question, item_id), answers in groups.items():
        spans = [a for a in answers if a]
        if not spans:  # Haystack 1.x: an all-"no answer" group is correctly retrieved
            rankings.append([True])
            continue
        rankings.append([any(s in text for s in spans) for text in rank(question, item_id, split, top_k)])
    return rankings


def book_rankings(settings: Settings, source_dir: Path, domain: str, split: str, top_k: int) -> list[list[bool]]:
    """Relevance of each group's top-k reviews under the book's rules, the project's BM25 over a store of its own."""
    from indexer.write import write_reviews
    from qa.api import ReviewQA
    from qa.stores.factory import open_store

    with tempfile.TemporaryDirectory(prefix="reviewqa-book-") as scratch:
        book = Settings(data_dir=Path(scratch), device=settings.device, retriever="bm25")
        write_reviews(open_store(book), book_reviews(source_dir, domain), progress=False)
        api = ReviewQA(book)

        def rank(question: str, item_id: str, split_: str, k: int) -> list[str]:
            retrieved = api.retrieve(question, item_id=item_id, split=split_, top_k=k)
            return [r.review.text for r in retrieved if r.score > 0]  # Elasticsearch: a shared term

        return _rank_all(_groups(source_dir, domain, split), split, top_k, rank)


def lucene_book_rankings(source_dir: Path, domain: str, split: str, top_k: int) -> list[list[bool]]:
    """The same rankings scored with Lucene's BM25 (Elasticsearch's: k1 1.2, b 0.75), through bm25s.

    A reference that separates the rules from the ranking function: bm25s's "lucene" method is
    Lucene's formula; its tokenizer (lowercase words of two or more characters, no stopwords)
    approximates Elasticsearch's standard analyzer.
    """
    import bm25s
    import numpy as np

    reviews = book_reviews(source_dir, domain)
    index = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    index.index(bm25s.tokenize([r.text for r in reviews], stopwords=None, show_progress=False), show_progress=False)
    by_product: dict[tuple[str, str | None], list[int]] = {}
    for position, review in enumerate(reviews):
        by_product.setdefault((review.item_id, review.split), []).append(position)

    def rank(question: str, item_id: str, split_: str, k: int) -> list[str]:
        tokens = bm25s.tokenize(question, stopwords=None, return_ids=False, show_progress=False)[0]
        scores = index.get_scores(tokens)
        candidates = np.array(by_product.get((item_id, split_), []), dtype=int)
        best = candidates[np.argsort(-scores[candidates], kind="stable")][:k]
        return [reviews[i].text for i in best if scores[i] > 0]

    return _rank_all(_groups(source_dir, domain, split), split, top_k, rank)
