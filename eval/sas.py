"""Semantic answer similarity (SAS) of top-1 answers, with SQuAD 2.0's treatment of "no answer".

Per question: a no-answer question scores 1 when the system abstains and 0 otherwise; an
answerable question scores 0 when the system abstains, else the best similarity of the predicted
span to any gold answer (golds that normalise to nothing are dropped, as in `max_over_golds`).
The pair similarities come from Haystack's `SASEvaluator` (`qa.similarity.AnswerSimilarity`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eval.metrics import normalize_answer

#: Scores (predicted[i], gold[i]) pairs; `qa.similarity.AnswerSimilarity.pair_scores` in practice.
PairScorer = Callable[[Sequence[str], Sequence[str]], list[float]]


@dataclass(frozen=True)
class SasScore:
    """Mean SAS overall, on answerable (HasAns) and on unanswerable (NoAns) questions."""

    model: str
    overall: float
    has_ans: float
    no_ans: float
    count: int


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def sas_scores(
    score_pairs: PairScorer, predictions: Sequence[str | None], golds: Sequence[Sequence[str]], *, model: str
) -> SasScore:
    """Mean SAS of `predictions[i]` (None or "" = no answer) against `golds[i]`."""
    if len(predictions) != len(golds):
        raise ValueError("predictions and golds must have the same length")
    candidates = [[g for g in gold if normalize_answer(g)] for gold in golds]
    pairs = [(i, p, g) for i, (p, gs) in enumerate(zip(predictions, candidates, strict=True)) if p for g in gs]
    pair_scores = score_pairs([p for _, p, _ in pairs], [g for _, _, g in pairs])
    best: dict[int, float] = {}
    for (i, _, _), score in zip(pairs, pair_scores, strict=True):
        best[i] = max(best[i], score) if i in best else score
    per_question = [
        best.get(i, 0.0) if gs else float(not p) for i, (p, gs) in enumerate(zip(predictions, candidates, strict=True))
    ]
    answerable = [bool(gs) for gs in candidates]
    return SasScore(
        model=model,
        overall=_mean(per_question),
        has_ans=_mean([s for s, a in zip(per_question, answerable, strict=True) if a]),
        no_ans=_mean([s for s, a in zip(per_question, answerable, strict=True) if not a]),
        count=len(per_question),
    )
