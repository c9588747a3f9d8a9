"""Project types returned by the NLP tasks (`ReviewQA.analyze`, `reviewqa analyze`).

Like `qa.types`, these are what the CLI and the API speak; Haystack objects stay inside `qa/nodes`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from qa.types import AskResult, Review

Task = Literal["sentiment", "ner", "summary", "translate", "generate", "pros-cons"]
TASKS: tuple[Task, ...] = ("sentiment", "ner", "summary", "translate", "generate", "pros-cons")
SentimentLabel = Literal["positive", "negative", "neutral"]


@dataclass(frozen=True)
class Sentiment:
    """A sentiment label, the model's confidence in it (0..1) and a polarity (-1 negative .. +1 positive)."""

    label: SentimentLabel
    score: float
    polarity: float


@dataclass(frozen=True)
class TextSentiment:
    """The sentiment of one review (or of a text the user gave: then `review` is None)."""

    text: str
    sentiment: Sentiment
    review: Review | None = None


@dataclass(frozen=True)
class SentimentReport:
    """Sentiment of every review of a product (or of one text)."""

    item_id: str | None
    model: str
    items: list[TextSentiment] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many texts got each label."""
        return dict(Counter(i.sentiment.label for i in self.items))

    @property
    def mean_polarity(self) -> float:
        """Average polarity (0.0 when there is nothing)."""
        return sum(i.sentiment.polarity for i in self.items) / len(self.items) if self.items else 0.0


@dataclass(frozen=True)
class Entity:
    """A named entity: `text == review.text[start:end]` (or the given text's, when `review` is None)."""

    text: str
    label: str
    start: int
    end: int
    score: float | None = None
    review: Review | None = None


@dataclass(frozen=True)
class EntityReport:
    """Entities found in the reviews of a product (or in one text)."""

    item_id: str | None
    model: str
    entities: list[Entity] = field(default_factory=list)

    def most_common(self, n: int = 10) -> list[tuple[str, str, int]]:
        """(text, label, mentions) of the most mentioned entities."""
        counts = Counter((e.text, e.label) for e in self.entities)
        return [(text, label, count) for (text, label), count in counts.most_common(n)]


@dataclass(frozen=True)
class SummarySentence:
    """A sentence chosen for an extractive summary: `text == review.text[start:end]`."""

    text: str
    review: Review
    start: int
    end: int
    centrality: float


@dataclass(frozen=True)
class Summary:
    """A short summary of a product's reviews; `sentences` is empty for an abstractive (generated) one."""

    item_id: str | None
    model: str
    text: str
    reviews: int
    sentences: list[SummarySentence] = field(default_factory=list)


@dataclass(frozen=True)
class Translation:
    """A text and its translation."""

    source_text: str
    text: str
    source_lang: str
    target_lang: str
    model: str


@dataclass(frozen=True)
class TranslatedAnswer:
    """A question asked in another language: translated in, answered in English, the answers translated out.

    `answers[i]` translates `result.answers[i]` (None for the no-answer prediction).
    """

    question: Translation
    answers: list[Translation | None]
    result: AskResult

    @property
    def answer(self) -> Translation | None:
        """The translated best answer (None when the best prediction is that the reviews don't say)."""
        return self.answers[0] if self.answers else None


@dataclass(frozen=True)
class Generation:
    """Free text generated from a prompt (with the reviews put in front of it, when a product was named)."""

    prompt: str
    text: str
    model: str
    reviews: list[Review] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    """Where an aspect answer was read: `review.text[start:end]`, with the reader's score."""

    review: Review
    start: int | None
    end: int | None
    score: float
    question: str


@dataclass(frozen=True)
class AspectAnswer:
    """One pro or con: the answer text, how many distinct reviews support it, and where it was read."""

    text: str
    kind: Literal["pro", "con"]
    support: int
    score: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class ProsCons:
    """Pros and cons of a product read out of all its reviews, most supported first."""

    item_id: str | None
    model: str
    reviews: int
    pros: list[AspectAnswer] = field(default_factory=list)
    cons: list[AspectAnswer] = field(default_factory=list)


Analysis = SentimentReport | EntityReport | Summary | TranslatedAnswer | Generation | ProsCons
