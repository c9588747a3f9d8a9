"""Retriever evaluation: recall@k, MRR and MAP under two relevance definitions.

- answer-in-document (the book's and Haystack 1.x's definition): labels are aggregated by
  (question text, product); a retrieved review is relevant when it contains one of the group's
  gold answer texts. Groups without any answer are reported separately: Haystack 1.x counted
  them as hits, so "no-answer counted" treats them as hits and "answerable only" leaves them out.
- own review: per question, the question's own review is the one relevant document.
Every query is filtered to the question's product and split before ranking. The book's own table,
under the Hugging Face dataset's rules, is `eval/book_retrieval.py` (`eval retriever --definition book`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from eval.metrics import mean_average_precision, mean_reciprocal_rank, recall_at_k
from qa.question_groups import group_questions
from qa.types import Question, RetrievedReview

KS = (1, 3, 5, 10, 20)
Retrieve = Callable[[str, str, str, int], list[RetrievedReview]]


@dataclass
class RetrievalResult:
    """Every metric of one retriever run (fractions in [0, 1])."""

    queries: dict[str, int] = field(default_factory=dict)
    recall: dict[str, dict[int, float]] = field(default_factory=dict)
    mrr: dict[str, float] = field(default_factory=dict)
    map: dict[str, float] = field(default_factory=dict)
    seconds_per_query: float = 0.0


def _summarise(result: RetrievalResult, name: str, rankings: list[list[bool]], ks: Sequence[int]) -> None:
    result.queries[name] = len(rankings)
    result.recall[name] = recall_at_k(rankings, ks)
    result.mrr[name] = mean_reciprocal_rank(rankings)
    result.map[name] = mean_average_precision(rankings)


def evaluate_retriever(
    retrieve: Retrieve, questions: Sequence[Question], *, ks: Sequence[int] = KS, progress: bool = True
) -> RetrievalResult:
    """Run `retrieve(question, item_id, split, top_k)` once per group/question and score all k at once."""
    top_k = max(ks)
    result = RetrievalResult()
    groups = group_questions(questions)
    answerable: list[list[bool]] = []
    with_no_answer: list[list[bool]] = []
    retrieved: dict[tuple[str, str], list[RetrievedReview]] = {}
    started = time.perf_counter()
    for group in tqdm(groups, desc="Retrieving", unit="query", disable=not progress):
        reviews = retrieve(group.question, group.item_id, group.split, top_k)
        retrieved[(group.question, group.item_id)] = reviews
        if group.answers:
            ranking = [any(a in r.review.text for a in group.answers) for r in reviews]
            answerable.append(ranking)
            with_no_answer.append(ranking)
        else:
            with_no_answer.append([True] * max(len(reviews), 1))
    result.seconds_per_query = (time.perf_counter() - started) / max(len(groups), 1)
    own = [[r.review.review_id == q.review_id for r in retrieved[(q.question, q.item_id)]] for q in questions]
    _summarise(result, "answer_in_document", answerable, ks)
    _summarise(result, "answer_in_document_noans_as_hit", with_no_answer, ks)
    _summarise(result, "own_review", own, ks)
    return result
