"""Whole-pipeline (integrated) evaluation: retriever top-k feeding the reader, scored SQuAD-style.

Labels are aggregated by (question, product) as in the retriever evaluation: a group's gold
answers are all answers of its questions, and it is a no-answer group when none has an answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from eval.metrics import QAExampleTopK, SquadBreakdown, max_over_golds, top_k_scores
from eval.retriever import group_questions
from eval.sas import PairScorer, SasScore, sas_scores
from qa.readers.decision import expected_calibration_error
from qa.types import AskResult, Question

Ask = Callable[[str, str, str], AskResult]


@dataclass(frozen=True)
class PipelineResult:
    """Top-1 and top-3 SQuAD 2.0 scores of the pipeline, and its speed."""

    top1: SquadBreakdown
    top3: SquadBreakdown
    groups: int
    seconds_per_query: float
    #: Top-1 semantic answer similarity, when a similarity model was given.
    sas: SasScore | None = None
    #: Calibration of the answer decision's probability (ECE and reliability table), when it has one.
    calibration: dict | None = None


def evaluate_pipeline(
    ask: Ask,
    questions: Sequence[Question],
    *,
    similarity: tuple[PairScorer, str] | None = None,
    progress: bool = True,
) -> PipelineResult:
    """Ask every (question, product) group through `ask(question, item_id, split)` and score it.

    `similarity` is a pair scorer and its model name, for the top-1 SAS (`eval.sas`).
    """
    subjective = {(q.question, q.item_id): q.is_subjective for q in questions}
    examples = []
    decisions: list[tuple[float, float, float]] = []  # (probability, span F1, abstaining F1)
    started = time.perf_counter()
    groups = group_questions(questions)
    for group in tqdm(groups, desc="Answering", unit="query", disable=not progress):
        result = ask(group.question, group.item_id, group.split)
        examples.append(
            QAExampleTopK(
                question_id=f"{group.item_id}:{group.question}",
                predictions=tuple(a.text for a in result.answers),
                golds=group.answers,
                group="subjective" if subjective[(group.question, group.item_id)] else "factual",
            )
        )
        if result.confidence is not None:
            span = next((a.text for a in result.answers if a.text is not None), None)
            span_f1 = max_over_golds(span, group.answers)[1] if span is not None else 0.0
            decisions.append((result.confidence.probability, span_f1, max_over_golds(None, group.answers)[1]))
    elapsed = time.perf_counter() - started
    sas = None
    if similarity is not None:
        score_pairs, model = similarity
        top1 = [ex.predictions[0] if ex.predictions else None for ex in examples]
        sas = sas_scores(score_pairs, top1, [ex.golds for ex in examples], model=model)
    return PipelineResult(
        top1=top_k_scores(examples, 1),
        top3=top_k_scores(examples, 3),
        groups=len(groups),
        seconds_per_query=elapsed / max(len(groups), 1),
        sas=sas,
        calibration=decision_calibration(decisions) if decisions else None,
    )


def decision_calibration(decisions: Sequence[tuple[float, float, float]]) -> dict:
    """ECE of the decision's probability for the event it models: showing the span beats abstaining.

    Each group counts with weight |span F1 - abstaining F1| (as in `qa.readers.decision.fit_decision`);
    groups where both are equal carry no information and weigh 0.
    """
    probabilities = [p for p, _, _ in decisions]
    outcomes = [float(span > null) for _, span, null in decisions]
    weights = [abs(span - null) for _, span, null in decisions]
    ece, reliability = expected_calibration_error(probabilities, outcomes, weights)
    answered = sum(p >= 0.5 for p in probabilities)
    return {"ece": ece, "reliability": reliability, "answered_share": answered / len(decisions)}
