"""Request and response models of the REST API, built on the project's own types.

The plain data types of `qa.types`, `qa.nodes.types`, `qa.stores.feedback` and the review importer
(`Review`, `RetrievedReview`, `Confidence`, `Feedback`, `BadRow`, the NLP reports) are used as they
are: pydantic validates and documents standard dataclasses directly, so the OpenAPI schema names
the same types the Python API returns. Only where a response adds what a dataclass computes (an
answer's context, a sentiment report's counts) does a model here wrap one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from indexer.sources.user_reviews import BadRow
from qa.config import MAX_QUESTION_CHARS, MAX_TOP_K, RetrieverKind
from qa.nodes.types import EntityReport, Generation, ProsCons, SentimentReport, Summary, TranslatedAnswer
from qa.types import (
    Answer,
    AskMode,
    AskResult,
    Confidence,
    Consensus,
    ConsensusGroup,
    ConsensusQuote,
    RetrievedReview,
    Review,
    SentimentLabel,
)

#: SubjQA's splits (`indexer.sources.subjqa.SPLITS`; a test keeps the two equal).
Split = Literal["train", "dev", "test"]
#: The tasks of POST /analyze (`qa.nodes.types.TASKS`).
AnalyzeTask = Literal["sentiment", "ner", "summary", "translate", "generate", "pros-cons"]
#: Longest product id or domain accepted (SubjQA's ASINs have 10 characters).
MAX_ID_CHARS = 200
#: Longest text POST /analyze accepts (a review or a prompt), in characters.
MAX_TEXT_CHARS = 5000
#: Longest review text a request may carry (POST /feedback echoes the answer's review).
MAX_REVIEW_TEXT_CHARS = 100_000


def _valid_text(value: str) -> str:
    """Refuse lone surrogates (JSON can carry "\\ud800"; it is not text and no store can hold it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds characters that are not valid text (lone surrogates)") from None
    return value


#: A string that is valid Unicode text.
Text = Annotated[str, AfterValidator(_valid_text)]
ItemId = Annotated[Text, Field(max_length=MAX_ID_CHARS, description="A product id, e.g. the ASIN B0074BW614.")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


# -- /ask ------------------------------------------------------------------------------------------
class AskRequest(_Request):
    """A question about one product (the parameters of `ReviewQA.ask` and `reviewqa ask`)."""

    question: Text = Field(
        description=f"The question. Empty, invisible-only or longer than {MAX_QUESTION_CHARS} characters "
        "(after stripping) is refused with the CLI's message.",
        examples=["Is it good for reading?"],
    )
    item_id: ItemId
    split: Split | None = Field(None, description="Only reviews of this SubjQA split (default: every review).")
    mode: AskMode = Field(
        "extractive",
        description="extractive: spans read out of the reviews, scored by the reader; generative: one free-text "
        "answer written from the retrieved reviews by the generator (loads it on first use).",
    )
    top_k_retriever: int | None = Field(
        None, ge=1, le=MAX_TOP_K, description="Reviews retrieved (default: the server's setting, 3)."
    )
    top_k_reader: int | None = Field(
        None, ge=1, le=MAX_TOP_K, description="Answers returned (extractive; default: the server's setting, 3)."
    )
    retriever: RetrieverKind | None = Field(
        None,
        description="bm25, embedding, dpr or hybrid (default: the server's REVIEWQA_RETRIEVER). A dense retriever "
        "embeds the reviews once, on its first question.",
    )
    consensus: bool = Field(
        False,
        description="Also read every review of the product (or the consensus_reviews best-matching ones) and group "
        "what they say (`ReviewQA.consensus`): the response's `consensus`.",
    )
    consensus_reviews: int | None = Field(
        None, ge=1, le=MAX_TOP_K, description="Reviews the consensus reads at most (default: every review, to 100)."
    )


class AnswerOut(BaseModel):
    """One answer (`qa.types.Answer`) with the review it was read from and the text around the span."""

    text: str | None = Field(description="The answer; null for the prediction that the reviews don't say.")
    score: float
    review: Review | None = None
    start: int | None = Field(None, description="Character offsets of the span in review.text.")
    end: int | None = None
    is_no_answer: bool
    context: str = Field(description="The review text around the span, the span in [ ] (empty without one).")

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        """The response form of a facade answer."""
        return cls(
            text=answer.text,
            score=answer.score,
            review=answer.review,
            start=answer.start,
            end=answer.end,
            is_no_answer=answer.is_no_answer,
            context=answer.context(80),
        )


class QuoteOut(BaseModel):
    """What one review says in a consensus group (`qa.types.ConsensusQuote`)."""

    answer: AnswerOut
    probability: float = Field(description="The answer decision's probability for this span.")
    sentiment: SentimentLabel
    polarity: float = Field(description="From -1 (negative) to +1 (positive).")

    @classmethod
    def of(cls, quote: ConsensusQuote) -> QuoteOut:
        """The response form of a quote."""
        return cls(
            answer=AnswerOut.of(quote.answer),
            probability=quote.probability,
            sentiment=quote.sentiment,
            polarity=quote.polarity,
        )


class GroupOut(BaseModel):
    """Quotes from different reviews that say the same thing (`qa.types.ConsensusGroup`)."""

    label: str = Field(description="The group's most representative quote.")
    reviews: int = Field(description="Distinct reviews in the group.")
    sentiment: SentimentLabel = Field(description="The group's majority sentiment.")
    sentiment_counts: dict[str, int]
    quotes: list[QuoteOut]

    @classmethod
    def of(cls, group: ConsensusGroup) -> GroupOut:
        """The response form of a group."""
        return cls(
            label=group.label,
            reviews=group.reviews,
            sentiment=group.sentiment,
            sentiment_counts=group.sentiment_counts,
            quotes=[QuoteOut.of(q) for q in group.quotes],
        )


class ConsensusOut(BaseModel):
    """The review consensus (`qa.types.Consensus`): what the reviews read say, grouped, largest group first."""

    sentence: str = Field(
        description="The consensus in one sentence, e.g. '5 of 7 reviews that mention the battery are positive "
        "(20 of 56 reviews read).'"
    )
    topic: str | None = Field(description="The question's subject as the sentence names it.")
    reviews_read: int
    reviews_total: int
    mentioning: int = Field(description="Distinct reviews that mention the question's subject.")
    sentiment_counts: dict[str, int]
    groups: list[GroupOut]
    seconds: float

    @classmethod
    def of(cls, consensus: Consensus) -> ConsensusOut:
        """The response form of a consensus."""
        return cls(
            sentence=consensus.sentence,
            topic=consensus.topic,
            reviews_read=consensus.reviews_read,
            reviews_total=consensus.reviews_total,
            mentioning=consensus.mentioning,
            sentiment_counts=consensus.sentiment_counts,
            groups=[GroupOut.of(g) for g in consensus.groups],
            seconds=round(consensus.seconds, 4),
        )


class AskResponse(BaseModel):
    """What `ReviewQA.ask` returned (`qa.types.AskResult`), best answer first."""

    question: str
    item_id: str | None
    mode: AskMode
    retriever: RetrieverKind
    best: AnswerOut | None = Field(description="The decision's choice: answers[0] (may be the no-answer).")
    answers: list[AnswerOut]
    confidence: Confidence | None = Field(
        description="The answer decision (extractive, no-answer on): answered, probability and words."
    )
    reviews: list[RetrievedReview] = Field(description="The reviews searched (generative: the ones it used).")
    seconds: float = Field(description="Time spent answering on the server (not waiting for a worker).")
    consensus: ConsensusOut | None = Field(None, description="The review consensus, when the request asked for it.")

    @classmethod
    def of(
        cls,
        result: AskResult,
        mode: AskMode,
        retriever: RetrieverKind,
        seconds: float,
        consensus: Consensus | None = None,
    ) -> AskResponse:
        """The response form of a facade result (and of its consensus)."""
        answers = [AnswerOut.of(a) for a in result.answers]
        return cls(
            question=result.question,
            item_id=result.item_id,
            mode=mode,
            retriever=retriever,
            best=answers[0] if answers else None,
            answers=answers,
            confidence=result.confidence,
            reviews=result.reviews,
            seconds=round(seconds, 4),
            consensus=ConsensusOut.of(consensus) if consensus is not None else None,
        )


# -- /products -------------------------------------------------------------------------------------
class ProductCount(BaseModel):
    """A product id and its number of indexed reviews (documents: a review in two splits counts twice)."""

    item_id: str
    reviews: int


class ProductsResponse(BaseModel):
    """Products, most reviewed first (`ReviewQA.products`), one page of them."""

    total: int = Field(description="Products matching the filters, before paging.")
    offset: int
    limit: int
    products: list[ProductCount]


class ProductResponse(BaseModel):
    """One product's reviews (`ReviewQA.product_reviews`: each review once)."""

    item_id: str
    split: Split | None
    count: int = Field(description="Distinct reviews of the product (in the split when given).")
    reviews: list[Review] = Field(description="At most `limit` of them, in a stable order.")


# -- /feedback -------------------------------------------------------------------------------------
class ReviewIn(BaseModel):
    """The review of a judged answer (`qa.types.Review`), as POST /ask returned it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    item_id: Annotated[Text, Field(max_length=MAX_ID_CHARS)]
    text: Annotated[Text, Field(max_length=MAX_REVIEW_TEXT_CHARS)]
    review_id: Annotated[Text, Field(max_length=MAX_ID_CHARS)] | None = None
    domain: Annotated[Text, Field(max_length=MAX_ID_CHARS)] = "custom"
    split: Split | None = None
    title: Annotated[Text, Field(max_length=MAX_TEXT_CHARS)] | None = None
    rating: float | None = None

    def to_review(self) -> Review:
        """The project's `Review`."""
        return Review(**self.model_dump())


class AnswerIn(BaseModel):
    """The judged answer, as POST /ask returned it (its other fields are ignored)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, strict=True)

    text: Annotated[Text, Field(max_length=MAX_TEXT_CHARS)] | None = Field(
        description="The answer text; null when the judged answer was the no-answer prediction."
    )
    score: float
    review: ReviewIn | None = None
    start: int | None = Field(None, ge=0)
    end: int | None = Field(None, ge=0)

    def to_answer(self) -> Answer:
        """The facade's `Answer`."""
        review = self.review.to_review() if self.review is not None else None
        return Answer(text=self.text, score=self.score, review=review, start=self.start, end=self.end)


class FeedbackRequest(_Request):
    """A shopper's judgement of one answer (`ReviewQA.record_feedback`)."""

    question: Annotated[Text, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
    item_id: ItemId | None = None
    answer: AnswerIn
    correct: bool = Field(description="True: the answer is right; false: it is wrong.")
    rank: int | None = Field(None, ge=1, le=MAX_TOP_K, description="The answer's 1-based rank in the response.")


# -- /analyze --------------------------------------------------------------------------------------
class AnalyzeRequest(_Request):
    """One NLP task on a product's reviews or on a text (`ReviewQA.analyze`, `reviewqa analyze`)."""

    task: AnalyzeTask = Field(
        description="sentiment, ner, summary, pros-cons: on every review of item_id (or on text); translate: "
        "text is a question in source_lang, answered and translated back; generate: text is a prompt, "
        "the product's first reviews go in front of it."
    )
    item_id: ItemId | None = None
    text: Annotated[Text, Field(max_length=MAX_TEXT_CHARS)] | None = None
    split: Split | None = None
    source_lang: str = Field("pt", pattern=r"^[a-z]{2,3}$", description="Language of text for translate.")


class SentimentResult(BaseModel):
    """Sentiment of every review (or of the text), with the label counts and the mean polarity."""

    task: Literal["sentiment"] = "sentiment"
    report: SentimentReport
    counts: dict[str, int]
    mean_polarity: float


class EntityCount(BaseModel):
    """An entity and how often the reviews mention it."""

    text: str
    label: str
    mentions: int


class EntitiesResult(BaseModel):
    """Named entities of the reviews (or of the text), with the most mentioned."""

    task: Literal["ner"] = "ner"
    report: EntityReport
    most_common: list[EntityCount]


class SummaryResult(BaseModel):
    """A short summary of the reviews."""

    task: Literal["summary"] = "summary"
    report: Summary


class TranslationResult(BaseModel):
    """A question in another language, answered in English and translated back."""

    task: Literal["translate"] = "translate"
    report: TranslatedAnswer


class GenerationResult(BaseModel):
    """Free text generated from the prompt (and the product's first reviews)."""

    task: Literal["generate"] = "generate"
    report: Generation


class ProsConsResult(BaseModel):
    """Pros and cons read out of every review of the product."""

    task: Literal["pros-cons"] = "pros-cons"
    report: ProsCons


AnalyzeResponse = Annotated[
    SentimentResult | EntitiesResult | SummaryResult | TranslationResult | GenerationResult | ProsConsResult,
    Field(discriminator="task"),
]


# -- /reviews --------------------------------------------------------------------------------------
class ImportResponse(BaseModel):
    """What importing an uploaded review file did (`reviewqa import-reviews`)."""

    source: str = Field(description="The uploaded file's name.")
    domain: str
    rows_read: int
    reviews: int = Field(description="Rows that became reviews.")
    bad_rows: list[BadRow] = Field(description="Rows skipped (on_bad_row=skip), with their line and reason.")
    written: int = Field(description="Reviews newly written to the store.")
    already_present: int = Field(description="Reviews the store already held (importing twice writes nothing).")
    embedded: int = Field(description="Reviews embedded for the dense retrievers the server has loaded.")


# -- /health ---------------------------------------------------------------------------------------
class ComponentHealth(BaseModel):
    """Whether one part is loaded and usable, and why not."""

    ready: bool
    detail: str | None = Field(None, description="What went wrong loading it, or that it is still loading.")


class StoreHealth(ComponentHealth):
    """The document store."""

    backend: str
    reviews: int | None = None


class ReaderHealth(ComponentHealth):
    """The extractive reader."""

    model: str


class PoolHealth(BaseModel):
    """The bounded worker pool: requests beyond workers + queue are refused with 503."""

    workers: int
    queue: int
    in_flight: int = Field(description="Requests admitted and not finished (running or waiting).")


class HealthResponse(BaseModel):
    """GET /health: 200 when the store and the reader are ready, 503 (same body) otherwise."""

    status: Literal["ready", "starting", "unavailable"]
    store: StoreHealth
    reader: ReaderHealth
    pool: PoolHealth
    version: str


# -- problems ------------------------------------------------------------------------------------
class ValidationIssue(BaseModel):
    """One invalid part of a request."""

    loc: list[str | int] = Field(description="Where: e.g. ['body', 'top_k_reader'].")
    msg: str
    type: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(description="A URI naming the kind of problem (urn:reviewqa:problem:<kind>).")
    title: str
    status: int
    detail: str = Field(description="What went wrong and how to fix it: the CLI's message for the same mistake.")
    instance: str | None = Field(None, description="The request path.")
    errors: list[ValidationIssue] | None = Field(None, description="For invalid requests: each invalid part.")
