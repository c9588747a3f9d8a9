"""The project's own data types.

The CLI, the Python API, the UI and the evaluation harness speak these types, never Haystack's,
so that a framework upgrade only touches the adapters in `qa/` and `indexer/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: How `ReviewQA.ask` answers: spans read out of reviews, or free text written from them.
AskMode = Literal["extractive", "generative"]


@dataclass(frozen=True)
class Review:
    """One customer review of one product: the unit that is indexed and retrieved."""

    item_id: str
    text: str
    review_id: str | None = None
    domain: str = "custom"
    split: str | None = None
    title: str | None = None
    rating: float | None = None


@dataclass(frozen=True)
class GoldAnswer:
    """A gold answer span: `text == review_text[start:end]`."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Question:
    """A gold-labelled question about one review (SubjQA's `q_review_id`), with all its answers.

    `answers` is empty when no annotator found an answer in the review (a no-answer question).
    """

    question_id: str
    question: str
    item_id: str
    review_id: str
    review_text: str
    domain: str
    split: str
    answers: tuple[GoldAnswer, ...] = ()
    is_subjective: bool = False
    #: Annotators who found no answer. SubjQA has two per question and they often disagree:
    #: in electronics test, 142 of 358 questions have one span and one "no answer".
    no_answer_votes: int = 0

    @property
    def is_answerable(self) -> bool:
        """True when at least one annotator marked an answer span."""
        return bool(self.answers)

    @property
    def gold_texts(self) -> tuple[str, ...]:
        """The annotated answer spans as text (empty for a no-answer question)."""
        return tuple(a.text for a in self.answers)


@dataclass(frozen=True)
class Answer:
    """One answer returned to a user, with the review it was read from as evidence.

    `text` is None for the "the reviews don't say" (no-answer) prediction.
    """

    text: str | None
    score: float
    review: Review | None = None
    start: int | None = None
    end: int | None = None

    @property
    def is_no_answer(self) -> bool:
        """True when this is the reader's prediction that the reviews hold no answer."""
        return self.text is None

    def context(self, width: int = 80) -> str:
        """The review text around the answer span, with `[` `]` marking the span."""
        if self.review is None or self.start is None or self.end is None:
            return ""
        text = self.review.text
        left = max(0, self.start - width)
        right = min(len(text), self.end + width)
        prefix = "..." if left > 0 else ""
        suffix = "..." if right < len(text) else ""
        return f"{prefix}{text[left : self.start]}[{text[self.start : self.end]}]{text[self.end : right]}{suffix}"


@dataclass(frozen=True)
class RetrievedReview:
    """A review returned by a retriever, with its retrieval score."""

    review: Review
    score: float
    document_id: str


@dataclass(frozen=True)
class Confidence:
    """The answer decision for one question (`qa.readers.decision`), as shown to a shopper.

    `answered` is False when the decision says the reviews don't mention it; `probability` is the
    decision's probability that showing the best span beats abstaining; `words` say it in words
    ("likely", "possibly", "not mentioned").
    """

    answered: bool
    probability: float
    words: str


@dataclass(frozen=True)
class AskResult:
    """What one question about one product returns: ranked answers and the reviews searched."""

    question: str
    item_id: str | None
    answers: list[Answer] = field(default_factory=list)
    reviews: list[RetrievedReview] = field(default_factory=list)
    #: The answer decision (extractive mode with no-answer on; None otherwise).
    confidence: Confidence | None = None

    @property
    def best(self) -> Answer | None:
        """The top-ranked answer (which may be the no-answer prediction), or None."""
        return self.answers[0] if self.answers else None


@dataclass(frozen=True)
class LoadReport:
    """What loading a data source had to repair or drop, so that nothing is lost silently."""

    rows_read: int = 0
    repaired: int = 0
    dropped: int = 0
    problems: tuple[str, ...] = ()
