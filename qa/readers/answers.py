"""The reader's Haystack answers as the project's `Answer` (one conversion for the facade and the nodes)."""

from __future__ import annotations

from haystack import ExtractedAnswer

from indexer.documents import document_to_review
from qa.types import Answer


def to_answer(answer: ExtractedAnswer) -> Answer:
    """A span with its review and character offsets, or the no-answer prediction (text None)."""
    if answer.data is None or answer.document is None:
        return Answer(text=None, score=float(answer.score))
    offset = answer.document_offset
    return Answer(
        text=answer.data,
        score=float(answer.score),
        review=document_to_review(answer.document),
        start=offset.start if offset else None,
        end=offset.end if offset else None,
    )
