"""Gold questions aggregated by (question text, product), as Haystack 1.x aggregated labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.types import Question


@dataclass(frozen=True)
class QuestionGroup:
    """Labels aggregated by (question text, product), as Haystack 1.x aggregated them."""

    question: str
    item_id: str
    split: str
    answers: tuple[str, ...]
    review_ids: tuple[str, ...]


def group_questions(questions: Sequence[Question]) -> list[QuestionGroup]:
    """Aggregate questions by (question text, product)."""
    groups: dict[tuple[str, str], list[Question]] = {}
    for q in questions:
        groups.setdefault((q.question, q.item_id), []).append(q)
    return [
        QuestionGroup(
            question=text,
            item_id=item,
            split=members[0].split,
            answers=tuple(dict.fromkeys(a.text for q in members for a in q.answers)),
            review_ids=tuple(dict.fromkeys(q.review_id for q in members)),
        )
        for (text, item), members in groups.items()
    ]
