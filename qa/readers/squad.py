"""SQuAD 2.0 answer comparison (the official script's normalisation, EM and F1): pure functions.

Used by the reader's answer-decision fitting and tuning and by pros/cons grouping in `qa`, and by
`eval`'s metrics, which re-export them. Scores are fractions in [0, 1] (the official script reports x100).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s: str) -> str:
    """Lowercase, drop punctuation, drop articles, collapse whitespace (official order)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCTUATION)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def get_tokens(s: str) -> list[str]:
    """Tokens of the normalised answer (empty list for an empty string)."""
    if not s:
        return []
    return normalize_answer(s).split()


def exact_match(prediction: str, gold: str) -> float:
    """1.0 if the normalised strings are equal, else 0.0 (SQuAD 2.0 ``compute_exact``)."""
    return float(normalize_answer(gold) == normalize_answer(prediction))


def f1_score(prediction: str, gold: str) -> float:
    """Token-overlap F1 (SQuAD 2.0 ``compute_f1``); if either side is empty, 1.0 iff both are."""
    gold_toks = get_tokens(gold)
    pred_toks = get_tokens(prediction)
    if not gold_toks or not pred_toks:
        return float(gold_toks == pred_toks)
    num_same = sum((Counter(gold_toks) & Counter(pred_toks)).values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_toks)
    recall = num_same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def max_over_golds(prediction: str | None, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of ``prediction`` maximised over the gold answers.

    ``None`` means "no answer" and equals ``""``. As in the official script, golds that
    normalise to nothing are dropped and an empty gold list becomes ``[""]``, so the empty
    prediction scores 1 only on no-answer questions.
    """
    pred = prediction or ""
    candidates = [g for g in golds if normalize_answer(g)] or [""]
    return (
        max(exact_match(pred, g) for g in candidates),
        max(f1_score(pred, g) for g in candidates),
    )


@dataclass(frozen=True)
class QAScore:
    """Mean EM and F1 over ``count`` examples (0.0 when ``count`` is 0)."""

    em: float
    f1: float
    count: int


@dataclass(frozen=True)
class SquadBreakdown:
    """Scores overall, on answerable (HasAns) and unanswerable (NoAns) questions, and per group."""

    overall: QAScore
    has_ans: QAScore
    no_ans: QAScore
    by_group: dict[str, QAScore] = field(default_factory=dict)


@dataclass(frozen=True)
class QAExample:
    """One question: a single prediction (``None`` = no answer) and its gold answers."""

    question_id: str
    prediction: str | None
    golds: tuple[str, ...]
    group: str | None = None


# (em, f1, has_ans, group) per example
ScoreRow = tuple[float, float, bool, "str | None"]


def _mean(rows: Sequence[ScoreRow]) -> QAScore:
    n = len(rows)
    if n == 0:
        return QAScore(em=0.0, f1=0.0, count=0)
    return QAScore(em=sum(r[0] for r in rows) / n, f1=sum(r[1] for r in rows) / n, count=n)


def breakdown(rows: Sequence[ScoreRow]) -> SquadBreakdown:
    """Means overall, on HasAns and NoAns rows, and per group, of (em, f1, has_ans, group) rows."""
    groups = sorted({r[3] for r in rows if r[3] is not None})
    return SquadBreakdown(
        overall=_mean(rows),
        has_ans=_mean([r for r in rows if r[2]]),
        no_ans=_mean([r for r in rows if not r[2]]),
        by_group={g: _mean([r for r in rows if r[3] == g]) for g in groups},
    )


def squad_scores(examples: Sequence[QAExample]) -> SquadBreakdown:
    """SQuAD 2.0 EM/F1 means; a question is HasAns iff it has at least one gold answer."""
    rows: list[ScoreRow] = []
    for ex in examples:
        em, f1 = max_over_golds(ex.prediction, ex.golds)
        rows.append((em, f1, bool(ex.golds), ex.group))
    return breakdown(rows)
