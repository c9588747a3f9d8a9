"""Gold questions to SQuAD-style training examples (and SQuAD 2.0 JSON for other tools)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qa.types import Question


@dataclass(frozen=True)
class SquadExample:
    """One training example: a question, its context, and one answer (None for no answer)."""

    example_id: str
    question: str
    context: str
    answer_text: str | None
    answer_start: int | None
    #: SubjQA's `is_ques_subjective` label, for multi-task training (`TrainingConfig.subjectivity_weight`).
    is_subjective: bool = False


def to_training_examples(questions: Iterable[Question]) -> list[SquadExample]:
    """One example per distinct gold answer; one no-answer example for an unanswerable question."""
    examples: list[SquadExample] = []
    for q in questions:
        if not q.answers:
            examples.append(SquadExample(q.question_id, q.question, q.review_text, None, None, q.is_subjective))
            continue
        for n, answer in enumerate(q.answers):
            examples.append(
                SquadExample(
                    f"{q.question_id}-{n}", q.question, q.review_text, answer.text, answer.start, q.is_subjective
                )
            )
    return examples


def to_squad_json(questions: Iterable[Question], version: str = "v2.0") -> dict[str, Any]:
    """The questions in SQuAD 2.0 JSON form: one article per product, one paragraph per review."""
    articles: dict[str, dict[str, dict[str, Any]]] = {}
    for q in questions:
        paragraphs = articles.setdefault(q.item_id, {})
        paragraph = paragraphs.setdefault(q.review_id, {"context": q.review_text, "qas": []})
        paragraph["qas"].append(
            {
                "id": q.question_id,
                "question": q.question,
                "answers": [{"text": a.text, "answer_start": a.start} for a in q.answers],
                "is_impossible": not q.answers,
            }
        )
    return {
        "version": version,
        "data": [{"title": item, "paragraphs": list(p.values())} for item, p in articles.items()],
    }
