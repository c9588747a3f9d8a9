"""Evaluation metrics: SQuAD 2.0 EM/F1 for answers and ranked-retrieval metrics.

Pure Python; scores are fractions in [0, 1] (the official SQuAD script reports x100).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.readers.squad import (
    QAExample,
    QAScore,
    ScoreRow,
    SquadBreakdown,
    breakdown,
    exact_match,
    f1_score,
    get_tokens,
    max_over_golds,
    normalize_answer,
    squad_scores,
)

__all__ = [
    "QAExample",
    "QAScore",
    "SquadBreakdown",
    "exact_match",
    "f1_score",
    "get_tokens",
    "max_over_golds",
    "normalize_answer",
    "squad_scores",
]


# --------------------------------------------------------------------------- SQuAD 2.0


@dataclass(frozen=True)
class QAExampleTopK:
    """One question with ranked predictions (best first) and its gold answers."""

    question_id: str
    predictions: tuple[str | None, ...]
    golds: tuple[str, ...]
    group: str | None = None


def top_k_scores(examples: Sequence[QAExampleTopK], k: int) -> SquadBreakdown:
    """Top-k EM/F1: each is maximised (independently) over the first ``k`` predictions.

    An example with no predictions is scored as a single "no answer" prediction.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    rows: list[ScoreRow] = []
    for ex in examples:
        scores = [max_over_golds(p, ex.golds) for p in (ex.predictions[:k] or (None,))]
        em = max(s[0] for s in scores)
        f1 = max(s[1] for s in scores)
        rows.append((em, f1, bool(ex.golds), ex.group))
    return breakdown(rows)


# --------------------------------------------------------------------------- retrieval
#
# ``ranked_relevance[q][i]`` is True iff the i-th retrieved document for query q is relevant.
# Every function returns 0.0 for an empty query list.


def recall_at_k(ranked_relevance: Sequence[Sequence[bool]], ks: Sequence[int]) -> dict[int, float]:
    """Single-hit recall@k for each k: fraction of queries with >= 1 relevant doc in the top k.

    This is the hit-rate "recall" of Haystack 1.x / ``DocumentRecallEvaluator`` in
    ``RecallMode.SINGLE_HIT`` (applied to the top-k list), not the multi-hit fraction of
    relevant documents retrieved.
    """
    n = len(ranked_relevance)
    result: dict[int, float] = {}
    for k in ks:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        hits = sum(1 for ranking in ranked_relevance if any(list(ranking)[:k]))
        result[k] = hits / n if n else 0.0
    return result


def mean_reciprocal_rank(ranked_relevance: Sequence[Sequence[bool]]) -> float:
    """Mean over queries of 1/rank of the first relevant document (0 if none is retrieved)."""
    if not ranked_relevance:
        return 0.0
    total = 0.0
    for ranking in ranked_relevance:
        rank = next((i for i, rel in enumerate(ranking, start=1) if rel), None)
        total += 1.0 / rank if rank is not None else 0.0
    return total / len(ranked_relevance)


def mean_average_precision(
    ranked_relevance: Sequence[Sequence[bool]],
    num_relevant: Sequence[int] | None = None,
) -> float:
    """Mean over queries of average precision.

    AP = (sum of precision@i over the relevant positions i) / denominator, where the
    denominator is ``num_relevant[q]`` (all relevant documents that exist) when given, else
    the number of relevant documents *retrieved*; AP is 0 when the denominator is 0.

    With ``num_relevant`` = number of distinct ground-truth documents this equals Haystack's
    ``DocumentMAPEvaluator`` (haystack-ai 3.4 divides by the ground-truth count; earlier
    releases divided by the relevant retrieved count, i.e. the default here). The two
    denominators coincide whenever every relevant document is retrieved.
    """
    if num_relevant is not None and len(num_relevant) != len(ranked_relevance):
        raise ValueError("num_relevant must have one entry per query")
    if not ranked_relevance:
        return 0.0
    total = 0.0
    for q, ranking in enumerate(ranked_relevance):
        hits = 0
        numerator = 0.0
        for i, rel in enumerate(ranking, start=1):
            if rel:
                hits += 1
                numerator += hits / i
        denominator = hits if num_relevant is None else num_relevant[q]
        if denominator < hits:
            raise ValueError(f"query {q}: num_relevant={denominator} < relevant retrieved={hits}")
        total += numerator / denominator if denominator else 0.0
    return total / len(ranked_relevance)
