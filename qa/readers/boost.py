"""The single no-answer threshold (boost), tuned on a held-out split with the gold review given.

`predict_isolated` reads each question's own review once; `tune_no_answer_boost` then scores every
threshold from that one reading (as `find_best_thresh` of the SQuAD 2.0 script does). Training
(`qa.training.tune_reader`) records the tuned boost beside the model; `eval` reports with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from haystack import Document
from tqdm.auto import tqdm

from qa.readers.decision import prior_weights
from qa.readers.reader import ReviewReader
from qa.readers.squad import QAExample, SquadBreakdown, max_over_golds, squad_scores
from qa.types import Question


@dataclass(frozen=True)
class ReaderPrediction:
    """The reader's ranked answers for one question (None = no answer) and the span/null margin."""

    question_id: str
    answers: tuple[str | None, ...]
    best_span: str | None
    #: span logit minus no-answer logit at boost 0: the answer wins while boost < margin.
    margin: float

    @property
    def top1(self) -> str | None:
        """The first-ranked answer (None = no answer)."""
        return self.answers[0] if self.answers else None


def predict_isolated(
    reader: ReviewReader, questions: Sequence[Question], *, top_k: int = 3, progress: bool = True
) -> list[ReaderPrediction]:
    """Run the reader on each question's own review."""
    predictions = []
    for q in tqdm(questions, desc="Reading", unit="question", disable=not progress):
        document = Document(content=q.review_text, meta={"item_id": q.item_id, "review_id": q.review_id})
        answers = reader.run(query=q.question, documents=[document], top_k=top_k)["answers"]
        spans = [a for a in answers if a.data is not None]
        null = next(a for a in answers if a.data is None)
        signals = null.meta["signals"]
        margin = -math.inf if signals["span_logit"] is None else signals["span_logit"] - signals["null_logit"]
        predictions.append(
            ReaderPrediction(
                question_id=q.question_id,
                answers=tuple(a.data for a in answers),
                best_span=spans[0].data if spans else None,
                margin=margin,
            )
        )
    return predictions


def tune_no_answer_boost(
    questions: Sequence[Question],
    predictions: Sequence[ReaderPrediction],
    *,
    no_answer_share: float | None = None,
) -> tuple[float, float]:
    """The boost maximising mean SQuAD F1 (as `find_best_thresh` of the SQuAD 2.0 script); returns (boost, F1).

    With `no_answer_share`, questions are weighted so that no-answer questions make up that share
    of the total (a class-prior correction): the held-out split's own mix (61% no-answer in
    electronics dev, 34% in test) otherwise decides how eagerly the reader abstains.
    """
    golds = {q.question_id: q.gold_texts for q in questions}
    weights = prior_weights([not golds[p.question_id] for p in predictions], no_answer_share)
    pairs = list(zip(weights, predictions, strict=True))
    span_f1 = [w * max_over_golds(p.best_span, golds[p.question_id])[1] for w, p in pairs]
    null_f1 = [w * max_over_golds(None, golds[p.question_id])[1] for w, p in pairs]
    order = sorted(range(len(predictions)), key=lambda i: predictions[i].margin)
    # Boost below every margin: always answer. Raising it past margin i turns question i to no-answer.
    score = best_score = sum(span_f1)
    best_boost = predictions[order[0]].margin - 1.0 if order else 0.0
    for rank, i in enumerate(order):
        score += null_f1[i] - span_f1[i]
        next_margin = predictions[order[rank + 1]].margin if rank + 1 < len(order) else predictions[i].margin + 2.0
        if score > best_score:
            best_score = score
            best_boost = (predictions[i].margin + next_margin) / 2
    return best_boost, best_score / max(sum(weights), 1e-12)


def at_boost(predictions: Sequence[ReaderPrediction], boost: float) -> list[ReaderPrediction]:
    """The top-1 answers the reader gives with `no_answer_boost=boost`, from one reading at any boost.

    The best span wins exactly when its margin over the no-answer logit exceeds the boost, so one
    pass over a split scores every threshold (as the SQuAD 2.0 script does with `na_probs`).
    """
    return [replace(p, answers=(p.best_span if p.margin > boost else None,)) for p in predictions]


def no_answer_share(questions: Sequence[Question]) -> float:
    """The share of questions without an answer."""
    return sum(1 for q in questions if not q.answers) / max(len(questions), 1)


def score_predictions(questions: Sequence[Question], predictions: Sequence[ReaderPrediction]) -> SquadBreakdown:
    """Top-1 SQuAD 2.0 EM/F1 with HasAns/NoAns and subjective/factual breakdowns."""
    by_id = {p.question_id: p for p in predictions}
    return squad_scores(
        [
            QAExample(
                question_id=q.question_id,
                prediction=by_id[q.question_id].top1,
                golds=q.gold_texts,
                group="subjective" if q.is_subjective else "factual",
            )
            for q in questions
        ]
    )
