"""The project's own data types.

The CLI, the Python API, the UI and the evaluation harness speak these types, never Haystack's,
so that a framework upgrade only touches the adapters in `qa/` and `indexer/`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

#: How `ReviewQA.ask` answers: spans read out of reviews, or free text written from them.
AskMode = Literal["extractive", "generative"]
#: A sentiment label (`qa.nodes.types.Sentiment` carries the same three).
SentimentLabel = Literal["positive", "negative", "neutral"]
_SPACES = re.compile(r"\s+")


def display_text(text: str) -> str:
    """Review text as a shopper should read it: HTML entities decoded (SubjQA holds `&#34;` and `&amp;`)."""
    return html.unescape(text)


def review_key(review: Review) -> str:
    """What makes a review the same review: its id, or its text without one (SubjQA stores some in two splits)."""
    return review.review_id or review.text


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
class ProductSummary:
    """A product as a list shows it: its id, its distinct reviews, and words that tell it apart."""

    item_id: str
    reviews: int
    keywords: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """E.g. "B0074BW614 · kindle, kfhd, ads · 56 reviews"."""
        count = f"{self.reviews} review{'s' if self.reviews != 1 else ''}"
        return " · ".join(part for part in (self.item_id, ", ".join(self.keywords), count) if part)


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

    def snippet(self, width: int = 160) -> Snippet | None:
        """The review text around the span for display: cut at word boundaries, entities decoded.

        None without a review or a span that can be found in it (offsets missing or stale: the
        span's first occurrence in the review is used).
        """
        if self.review is None or self.text is None:
            return None
        text = self.review.text
        start, end = self.start, self.end
        if start is None or end is None or text[start:end] != self.text:
            start = text.find(self.text)
            if start < 0:
                return None
            end = start + len(self.text)
        left = max(0, start - width)
        right = min(len(text), end + width)
        if left > 0:  # start after a space, so that no word (or entity such as &#34;) is cut
            space = text.find(" ", left, start)
            left = space + 1 if space >= 0 else start
        if right < len(text):
            space = text.rfind(" ", end, right)
            right = space if space >= 0 else end
        return Snippet(
            before=display_text(text[left:start]),
            span=display_text(text[start:end]),
            after=display_text(text[end:right]),
            cut_before=left > 0,
            cut_after=right < len(text),
        )

    @property
    def normalized(self) -> str:
        """The answer text compared for duplicates: entities decoded, case and spacing ignored."""
        return _SPACES.sub(" ", display_text(self.text or "")).strip().casefold()


@dataclass(frozen=True)
class Snippet:
    """The part of a review shown as evidence: `before` + `span` + `after`, entities decoded."""

    before: str
    span: str
    after: str
    #: True when review text was left out before `before` (or after `after`).
    cut_before: bool
    cut_after: bool


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

    @property
    def mentioned(self) -> bool:
        """True when the answer decision answers (without a decision: when the best answer is a span)."""
        if self.confidence is not None:
            return self.confidence.answered
        return self.best is not None and not self.best.is_no_answer

    @property
    def spans(self) -> list[Answer]:
        """The span answers best first, without the no-answer prediction and without duplicates.

        A duplicate is an answer whose text (entities decoded, case and spacing ignored) was already
        given, e.g. the same span of a review that SubjQA stores in two splits.
        """
        seen: set[str] = set()
        unique = []
        for answer in self.answers:
            if answer.is_no_answer or answer.normalized in seen:
                continue
            seen.add(answer.normalized)
            unique.append(answer)
        return unique

    @property
    def headline(self) -> Answer | None:
        """The one answer to show first: the best span when the decision answers, else None ("not mentioned")."""
        spans = self.spans
        return spans[0] if spans and self.mentioned else None

    def headline_with(self, consensus: Consensus | None) -> Headline:
        """The headline a shopper sees when the review consensus was also read.

        The pipeline's own headline when its decision answers; when it abstains on the few reviews it
        read but the consensus, reading more, holds a span the decision would answer with
        (`Consensus.headline`), that span; otherwise none ("not mentioned").
        """
        if self.headline is not None:
            words = self.confidence.words if self.confidence is not None else None
            return Headline(self.headline, words, from_consensus=False)
        quote = consensus.headline if consensus is not None else None
        if quote is not None:
            return Headline(quote.answer, quote.words, from_consensus=True)
        return Headline(None, None, from_consensus=False)

    @property
    def others(self) -> list[Answer]:
        """What other reviews say: the best span of each review other than the headline's, best first.

        When the decision abstains these are the candidates it judged too weak, for reference.
        """
        headline = self.headline
        shown = {review_key(headline.review)} if headline is not None and headline.review is not None else set()
        others = []
        for answer in self.spans:
            key = review_key(answer.review) if answer.review is not None else answer.normalized
            if answer is headline or key in shown:
                continue
            shown.add(key)
            others.append(answer)
        return others


@dataclass(frozen=True)
class Headline:
    """The one answer shown first (`AskResult.headline_with`): None when the reviews don't mention it."""

    answer: Answer | None
    #: The answer decision's confidence in words ("likely", "possibly").
    words: str | None
    #: True when the span comes from the review consensus rather than the pipeline's own reviews.
    from_consensus: bool


@dataclass(frozen=True)
class LoadReport:
    """What loading a data source had to repair or drop, so that nothing is lost silently."""

    rows_read: int = 0
    repaired: int = 0
    dropped: int = 0
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConsensusQuote:
    """What one review says about the question: its best span, how likely it answers, its sentiment.

    `probability` is the answer decision's probability for this span (`qa.readers.decision`, judged
    as if it were the best span); `sentiment` and `polarity` are those of the sentence(s) holding it.
    """

    answer: Answer
    probability: float
    sentiment: SentimentLabel
    polarity: float
    #: Whether the decision would answer with this span, and its confidence words ("likely", "possibly", ...).
    answers: bool = False
    words: str = ""


@dataclass(frozen=True)
class ConsensusGroup:
    """Quotes from different reviews that say the same thing, most representative first."""

    quotes: list[ConsensusQuote]

    @property
    def label(self) -> str:
        """The group's most representative quote (its first), entities decoded."""
        return display_text(self.quotes[0].answer.text or "") if self.quotes else ""

    @property
    def reviews(self) -> int:
        """Distinct reviews in the group."""
        return _distinct_reviews(self.quotes)

    @property
    def sentiment_counts(self) -> dict[str, int]:
        """Quotes per sentiment label."""
        return _sentiments(self.quotes)

    @property
    def sentiment(self) -> SentimentLabel:
        """The group's majority sentiment (neutral on a tie between positive and negative)."""
        return majority_sentiment(self.sentiment_counts)


def _distinct_reviews(quotes: list[ConsensusQuote]) -> int:
    return len({review_key(q.answer.review) for q in quotes if q.answer.review is not None})


def _sentiments(quotes: list[ConsensusQuote]) -> dict[str, int]:
    return dict(Counter(q.sentiment for q in quotes))


def majority_sentiment(counts: dict[str, int]) -> SentimentLabel:
    """The label most quotes have: neutral when positive and negative tie or neutral ones outnumber both."""
    positive, negative, neutral = (counts.get(k, 0) for k in ("positive", "negative", "neutral"))
    if positive == negative or neutral > max(positive, negative):
        return "neutral"
    return "positive" if positive > negative else "negative"


@dataclass(frozen=True)
class Consensus:
    """What the reviews of one product say about a question, grouped (`ReviewQA.consensus`).

    Every review read (all of the product's, or the `reviews_read` best matching ones) is asked the
    question; a review *mentions* it when its best span passes the consensus's mention threshold.
    The quotes of the mentioning reviews are grouped by meaning, largest group first.
    """

    question: str
    item_id: str
    #: What the question is about, as the sentence names it ("the battery"); None when none was found.
    topic: str | None
    #: Reviews read, and how many reviews the product has (in the split asked about).
    reviews_read: int
    reviews_total: int
    groups: list[ConsensusGroup] = field(default_factory=list)
    #: Every read review's best span, mentioning or not (below the mention threshold), in review order.
    candidates: list[ConsensusQuote] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def headline(self) -> ConsensusQuote | None:
        """The quote to show when the pipeline's own answer abstains: the largest group's most representative
        one, if the answer decision would answer with it (None otherwise)."""
        quote = self.groups[0].quotes[0] if self.groups and self.groups[0].quotes else None
        return quote if quote is not None and quote.answers else None

    @property
    def quotes(self) -> list[ConsensusQuote]:
        """Every mentioning review's quote, group by group."""
        return [q for g in self.groups for q in g.quotes]

    @property
    def mentioning(self) -> int:
        """Distinct reviews that mention the question's subject."""
        return _distinct_reviews(self.quotes)

    @property
    def sentiment_counts(self) -> dict[str, int]:
        """Mentioning reviews per sentiment label."""
        return _sentiments(self.quotes)

    @property
    def sentence(self) -> str:
        """The consensus in one sentence, e.g. "5 of 7 reviews that mention the battery are positive."."""
        plural, singular = ("mention", "mentions") if self.topic else ("answer", "answers")
        thing = self.topic or "this"
        plural, singular = f"{plural} {thing}", f"{singular} {thing}"
        if self.reviews_read < self.reviews_total:
            read_note = f" ({self.reviews_read} of {self.reviews_total} reviews read)"
        else:
            read_note = f" ({self.reviews_total} {_plural(self.reviews_total, 'review')} read)"
        total = self.mentioning
        if not total:
            return f"None of the reviews read {plural}{read_note}."
        counts = self.sentiment_counts
        positive, negative = counts.get("positive", 0), counts.get("negative", 0)
        if positive and positive == negative:
            return f"The {total} reviews that {plural} are split: {positive} positive, {negative} negative{read_note}."
        label = majority_sentiment(counts)
        if total == 1:
            return f"1 of 1 review that {singular} is {label}{read_note}."
        return f"{counts.get(label, 0)} of {total} reviews that {plural} are {label}{read_note}."


def _plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"
