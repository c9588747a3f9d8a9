"""Reader evaluation in isolation (the gold review is given) and no-answer threshold tuning."""

from __future__ import annotations

from collections.abc import Sequence

from eval.sas import PairScorer, SasScore, sas_scores
from qa.readers.boost import (
    ReaderPrediction,
    at_boost,
    no_answer_share,
    predict_isolated,
    score_predictions,
    tune_no_answer_boost,
)
from qa.types import Question

__all__ = [
    "ReaderPrediction",
    "at_boost",
    "no_answer_share",
    "predict_isolated",
    "score_predictions",
    "score_similarity",
    "tune_no_answer_boost",
]


def score_similarity(
    questions: Sequence[Question], predictions: Sequence[ReaderPrediction], score_pairs: PairScorer, *, model: str
) -> SasScore:
    """Top-1 semantic answer similarity (`eval.sas`) of the predictions against each question's golds."""
    by_id = {p.question_id: p for p in predictions}
    first = [by_id[q.question_id].top1 for q in questions]
    return sas_scores(score_pairs, first, [q.gold_texts for q in questions], model=model)
