"""The NLP tasks behind `ReviewQA.analyze` and generative `ReviewQA.ask`: components in, project types out.

Each component is built once per facade from `Settings` (`generator_model`, `sentiment_model`,
`ner_model`, `summary_model`, `translation_model`), whose defaults are all offline models shipped
on PyPI; naming a hub id instead is configuration, not a code change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from haystack import Document, GeneratedAnswer
from haystack.dataclasses import ChatMessage
from haystack.utils import ComponentDevice

from indexer.documents import document_to_review
from qa.config import Settings
from qa.device import resolve_device
from qa.errors import QueryError
from qa.nodes.entities import EntityExtractor, build_entity_extractor, stored_entities
from qa.nodes.generator import LocalChatGenerator
from qa.nodes.packaged_models import PACKAGED_SMOLLM2
from qa.nodes.pros_cons import ProsConsExtractor
from qa.nodes.sentiment import SentimentClassifier, stored_sentiment
from qa.nodes.summarizer import ReviewSummarizer
from qa.nodes.translator import Translator
from qa.nodes.types import (
    TASKS,
    Analysis,
    Entity,
    EntityReport,
    Generation,
    ProsCons,
    SentimentReport,
    Summary,
    SummarySentence,
    Task,
    TextSentiment,
    TranslatedAnswer,
    Translation,
)
from qa.pipelines.generative import build_generator, is_no_answer
from qa.stores.filters import review_filters
from qa.types import Answer, AskResult, RetrievedReview

if TYPE_CHECKING:
    from haystack.document_stores.types import DocumentStore

    from qa.readers.reader import ReviewReader


class ReviewQA(Protocol):
    """What the NLP tasks use of the facade (`qa.api.ReviewQA`), which calls them with itself.

    A protocol, not an import of `qa.api`, so that the facade depends on this module and not back.
    """

    settings: Settings

    @property
    def store(self) -> DocumentStore:
        """The document store."""

    @property
    def reader(self) -> ReviewReader:
        """The extractive reader."""

    @property
    def nlp(self) -> NlpToolkit:
        """The NLP components."""

    def ask(self, question: str, *, item_id: str | None, split: str | None = None) -> AskResult:
        """Answer `question` from the reviews of product `item_id`."""


DEFAULT_GENERATE_PROMPT = "In two sentences, what do buyers say about this product?"
#: Reviews (and characters of each) put in front of a free-generation prompt about a product.
GENERATE_CONTEXT_REVIEWS = 3
GENERATE_CONTEXT_CHARS = 600
GENERATE_MAX_NEW_TOKENS = 96


@dataclass
class NlpToolkit:
    """The NLP components of one facade, each built (and its model loaded) on first use."""

    settings: Settings
    _components: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def device(self) -> ComponentDevice:
        """The device the settings ask for (CUDA when present, unless told otherwise)."""
        return ComponentDevice.from_str(resolve_device(self.settings.device))

    def _get(self, name: str, build: Any) -> Any:
        if name not in self._components:
            component = build()
            component.warm_up()
            self._components[name] = component
        return self._components[name]

    @property
    def generator(self) -> LocalChatGenerator:
        """Generator of generative QA and free generation (`settings.nlp.generator_model`)."""
        return self._get("generator", lambda: build_generator(self.settings))

    @property
    def sentiment(self) -> SentimentClassifier:
        """Sentiment classifier (`settings.nlp.sentiment_model`)."""
        return self._get(
            "sentiment", lambda: SentimentClassifier(model=self.settings.nlp.sentiment_model, device=self.device)
        )

    @property
    def ner(self) -> EntityExtractor:
        """Named-entity extractor (`settings.nlp.ner_model`)."""
        return self._get("ner", lambda: build_entity_extractor(self.settings.nlp.ner_model, device=self.device))

    @property
    def summarizer(self) -> ReviewSummarizer:
        """Summarizer (`settings.nlp.summary_model`)."""
        return self._get(
            "summarizer", lambda: ReviewSummarizer(model=self.settings.nlp.summary_model, device=self.device)
        )

    @property
    def translator(self) -> Translator:
        """Translator (`settings.nlp.translation_model`)."""
        return self._get(
            "translator", lambda: Translator(model=self.settings.nlp.translation_model, device=self.device)
        )


# -- generative QA -------------------------------------------------------------------------------
def generative_result(question: str, item_id: str | None, output: dict[str, Any]) -> AskResult:
    """The project's AskResult from a generative pipeline run.

    `reviews` are the reviews the answer used: those the reply cites ([n]), or all it was given
    when it cites none. A reply that says the reviews don't answer ("I don't know", see
    `qa.pipelines.generative.is_no_answer`) becomes the no-answer prediction (text None).
    Generators give no calibrated score: the score is 0.0.
    """
    generated: list[GeneratedAnswer] = output["answer_builder"]["answers"]
    if not generated:
        return AskResult(question=question, item_id=item_id, answers=[Answer(text=None, score=0.0)])
    answer = generated[0]
    documents = list(answer.documents or [])
    cited = [d for d in documents if d.meta.get("referenced")]
    used: dict[str, Document] = {}
    for document in cited or documents:  # a review stored in two splits is one review
        used.setdefault(str(document.meta.get("review_id") or document.id), document)
    reviews = [
        RetrievedReview(review=document_to_review(d), score=float(d.score or 0.0), document_id=d.id)
        for d in used.values()
    ]
    text = None if is_no_answer(answer.data) else (answer.data or "").strip()
    best = Answer(text=text, score=0.0, review=reviews[0].review if text is not None and len(reviews) == 1 else None)
    return AskResult(question=question, item_id=item_id, answers=[best], reviews=reviews)


# -- analyze -------------------------------------------------------------------------------------
def product_documents(api: ReviewQA, item_id: str, split: str | None = None) -> list[Document]:
    """Every review of one product (in one split when given) once, in a stable order.

    SubjQA stores some reviews in several splits (as different documents): each is kept once,
    by review id (by text when a review has no id).
    """
    documents = api.store.filter_documents(review_filters(item_id, split))
    if not documents:
        where = f" in split {split!r}" if split else ""
        raise QueryError(f"No reviews of product {item_id!r}{where}. `reviewqa products` lists them.")
    unique: dict[str, Document] = {}
    for document in sorted(documents, key=lambda d: (str(d.meta.get("review_id") or ""), d.id)):
        unique.setdefault(str(document.meta.get("review_id") or document.content), document)
    return list(unique.values())


def analyze(
    api: ReviewQA,
    item_id: str | None,
    task: str,
    *,
    text: str | None = None,
    split: str | None = None,
    source_lang: str = "pt",
) -> Analysis:
    """Run one NLP task on the reviews of `item_id` (or on `text`, for tasks that take one)."""
    if task not in TASKS:
        raise QueryError(f"Unknown task {task!r}: one of {', '.join(TASKS)}.")
    if text is not None and not text.strip():
        raise QueryError("--text is empty.")
    nlp = api.nlp
    chosen: Task = task
    if chosen == "translate":
        return _translate(api, item_id, text, split, source_lang)
    if chosen == "generate":
        return _generate(api, item_id, text, split)
    if text is None and item_id is None:
        raise QueryError(f"The {task} task needs a product (--item) or a text (--text).")
    documents = [Document(content=text)] if text is not None else product_documents(api, item_id or "", split)
    own = text is None
    if chosen == "sentiment":
        annotated = nlp.sentiment.run(documents=documents)["documents"]
        items = []
        for d in annotated:
            sentiment = stored_sentiment(d)
            assert sentiment is not None
            items.append(TextSentiment(d.content or "", sentiment, document_to_review(d) if own else None))
        return SentimentReport(item_id=item_id, model=api.settings.nlp.sentiment_model, items=items)
    if chosen == "ner":
        annotated = nlp.ner.run(documents=documents)["documents"]
        entities = [
            Entity(t, label, start, end, score, document_to_review(d) if own else None)
            for d in annotated
            for t, label, start, end, score in stored_entities(d)
        ]
        return EntityReport(item_id=item_id, model=api.settings.nlp.ner_model, entities=entities)
    if chosen == "summary":
        output = nlp.summarizer.run(documents=documents)
        sentences = [
            SummarySentence(
                text=s.content or "",
                review=document_to_review(documents[s.meta["source_index"]]),
                start=int(s.meta["start"]),
                end=int(s.meta["end"]),
                centrality=float(s.meta["centrality"]),
            )
            for s in output["sentences"]
        ]
        return Summary(
            item_id=item_id,
            model=api.settings.nlp.summary_model,
            text=output["summary"],
            reviews=len(documents),
            sentences=sentences,
        )
    # pros-cons: the extractive reader over every review of the product
    extractor = ProsConsExtractor(reader=api.reader, sentiment=nlp.sentiment)
    output = extractor.run(documents=documents)
    return ProsCons(
        item_id=item_id,
        model=api.reader.model_name_or_path,
        reviews=len(documents),
        pros=output["pros"],
        cons=output["cons"],
    )


def _translate(
    api: ReviewQA, item_id: str | None, text: str | None, split: str | None, source_lang: str
) -> TranslatedAnswer:
    """Question in `source_lang` -> English -> extractive answer -> answer back in `source_lang`."""
    if text is None:
        raise QueryError("The translate task needs the question: --text '...'.")
    translator = api.nlp.translator
    model = api.settings.nlp.translation_model
    english = translator.translate(text, source_lang, "en")
    question = Translation(text, english, source_lang, "en", model)
    result = api.ask(english, item_id=item_id, split=split)
    answers = [
        Translation(a.text, translator.translate(a.text, "en", source_lang), "en", source_lang, model)
        if a.text
        else None
        for a in result.answers
    ]
    return TranslatedAnswer(question=question, answers=answers, result=result)


def _generate(api: ReviewQA, item_id: str | None, text: str | None, split: str | None) -> Generation:
    """Free generation from a prompt; with a product, a few of its reviews go in front of the prompt."""
    prompt = text or DEFAULT_GENERATE_PROMPT
    reviews = []
    content = prompt
    if item_id is not None:
        documents = product_documents(api, item_id, split)[:GENERATE_CONTEXT_REVIEWS]
        reviews = [document_to_review(d) for d in documents]
        context = "\n".join(
            f"[{i}] {(d.content or '')[:GENERATE_CONTEXT_CHARS]}" for i, d in enumerate(documents, start=1)
        )
        content = f"Customer reviews of a product:\n{context}\n\n{prompt}"
    reply = api.nlp.generator.run(
        messages=[ChatMessage.from_user(content)], generation_kwargs={"max_new_tokens": GENERATE_MAX_NEW_TOKENS}
    )["replies"][0]
    model = api.settings.nlp.generator_model
    return Generation(
        prompt=prompt, text=reply.text or "", model=PACKAGED_SMOLLM2 if model == "auto" else model, reviews=reviews
    )
