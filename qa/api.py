"""The Python API: the small facade the CLI, the UI and the evaluation harness call.

from qa.api import ReviewQA
rqa = ReviewQA()                       # settings from REVIEWQA_* variables, or pass Settings
rqa.index_subjqa(["electronics"], source_dir=Path("data/subjqa"))
result = rqa.ask("Is it good for reading?", item_id="B0074BW614")
print(result.best.text, result.best.review.text)
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.sources.subjqa import SPLITS, load_subjqa
from qa.config import MAX_QUESTION_CHARS, MAX_TOP_K, DenseKind, RetrieverKind, Settings, check_top_k
from qa.errors import NotFoundError, QueryError, os_errors
from qa.nodes.types import Analysis
from qa.stores.feedback import Feedback, FeedbackStore, open_feedback
from qa.stores.filters import review_filters
from qa.stores.labels import LabelMerge

# Haystack, torch and the models load where first used (a function-level import), not when
# `qa.api` is imported: importing Haystack imports torch (about 2 s), which a CLI call that
# fails validation, `--help` or a listing never needs.
if TYPE_CHECKING:
    from haystack import Document, ExtractedAnswer, Pipeline
    from haystack.document_stores.types import DocumentStore

    from indexer.write import WriteReport
    from qa.analysis import NlpToolkit
    from qa.nodes.consensus import ReviewConsensus
    from qa.readers.reader import ReviewReader
    from qa.retrievers.embedding_step import EmbedReport
from qa.types import (
    Answer,
    AskMode,
    AskResult,
    Confidence,
    Consensus,
    LoadReport,
    ProductSummary,
    RetrievedReview,
    Review,
)

#: Reviews embedded per step of `ReviewQA.prepare_embeddings` (one progress report per step).
PREPARE_CHUNK = 128


@dataclass(frozen=True)
class IndexSummary:
    """What one indexing call did: per source, what was loaded, repaired, dropped and written."""

    source: str
    questions: int
    reviews: int
    load: LoadReport
    write: WriteReport
    #: How the split's gold questions were merged into the stored ones (SubjQA only).
    labels: LabelMerge | None = None


@dataclass(frozen=True)
class EmbeddingStatus:
    """How many reviews lack the vectors the configured dense retriever needs (`ReviewQA.embedding_status`)."""

    kind: DenseKind
    model: str
    missing: int
    total: int

    @property
    def ready(self) -> bool:
        """True when every review has this encoder's vectors (the first question will not embed any)."""
        return self.missing == 0


@dataclass
class ReviewQA:
    """Index reviews, ask questions about one product, and train readers."""

    settings: Settings = field(default_factory=Settings.from_env)
    _store: DocumentStore | None = field(default=None, init=False, repr=False)
    _reader: ReviewReader | None = field(default=None, init=False, repr=False)
    _pipelines: dict[str, Pipeline] = field(default_factory=dict, init=False, repr=False)
    _nlp: NlpToolkit | None = field(default=None, init=False, repr=False)
    _consensus: ReviewConsensus | None = field(default=None, init=False, repr=False)

    # -- store -----------------------------------------------------------------------------
    @property
    def store(self) -> DocumentStore:
        """The document store (opened once; a missing index is created on first write)."""
        from qa.stores.factory import open_store

        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    def pipeline(self, name: str) -> Pipeline:
        """A named pipeline from `qa.pipelines.definitions`, built once per facade."""
        from qa.pipelines.definitions import PIPELINES

        if name not in self._pipelines:
            self.embed()  # dense retrievers: embed the reviews that lack this encoder's vectors (once)
            if name == "retrieval":
                self._pipelines[name] = PIPELINES[name](self.store, self.settings)
            elif name == "generative":
                self._pipelines[name] = PIPELINES[name](self.store, self.settings, generator=self.nlp.generator)
            else:
                self._pipelines[name] = PIPELINES[name](self.store, self.settings, reader=self.reader)
        return self._pipelines[name]

    @property
    def reader(self) -> ReviewReader:
        """The extractive reader (loaded once, on first use)."""
        from qa.pipelines.definitions import build_reader

        if self._reader is None:
            reader = build_reader(self.settings)
            reader.warm_up()
            self._reader = reader
        return self._reader

    @property
    def nlp(self) -> NlpToolkit:
        """The generator and the NLP task components (each loaded on first use)."""
        if self._nlp is None:
            from qa.analysis import NlpToolkit

            self._nlp = NlpToolkit(self.settings)
        return self._nlp

    def analyze(
        self,
        item_id: str | None,
        task: str,
        *,
        text: str | None = None,
        split: str | None = None,
        source_lang: str = "pt",
    ) -> Analysis:
        """One NLP task on the reviews of a product (or on `text`); see `qa.analysis.analyze`.

        Tasks: sentiment, ner, summary, pros-cons (on every review of the product, or on `text`),
        translate (`text` is a question in `source_lang`, answered and translated back) and
        generate (`text` is a prompt; the product's first reviews go in front of it).
        """
        from qa.analysis import analyze

        return analyze(self, item_id, task, text=text, split=split, source_lang=source_lang)

    # -- embeddings ------------------------------------------------------------------------
    def embed(self, *, progress: bool = True, force_kind: DenseKind | None = None) -> EmbedReport | None:
        """Embed the reviews for the configured dense retriever (or `force_kind`); None for BM25.

        Only reviews without an embedding from this encoder are embedded (see `qa.retrievers.embedding_step`).
        """
        from qa.pipelines.definitions import dense_kind
        from qa.retrievers.embedding_step import embed_documents
        from qa.retrievers.encoder_models import dense_encoders

        kind = force_kind or dense_kind(self.settings)
        if kind is None:
            return None
        encoder = dense_encoders(self.settings, kind).document
        with os_errors("write to", self.settings.data_dir):
            return embed_documents(self.store, encoder, self.settings, progress=progress)

    def embedding_status(self) -> EmbeddingStatus | None:
        """How many reviews still need embedding for the configured dense retriever (None for BM25).

        Resolves the encoder without loading it, so a missing model is a ModelError here, not on a question.
        """
        from qa.pipelines.definitions import dense_kind
        from qa.retrievers.encoder_models import dense_encoders
        from qa.stores.factory import count_matching

        kind = dense_kind(self.settings)
        if kind is None:
            return None
        identity = dense_encoders(self.settings, kind).document.identity
        missing = count_matching(self.store, _stale_embeddings(identity))
        return EmbeddingStatus(kind=kind, model=identity, missing=missing, total=self.count())

    def prepare_embeddings(self, on_progress: Callable[[int, int], None] | None = None) -> EmbedReport | None:
        """Embed every review the configured dense retriever still needs, ahead of the first question.

        The same embed step as `embed` (only missing vectors are computed, each step written at once,
        so an interrupted run resumes), in steps of PREPARE_CHUNK reviews: `on_progress(done, todo)`
        is called after each (a UI progress bar). None for BM25.
        """
        from qa.pipelines.definitions import dense_kind
        from qa.retrievers.embedding_step import embed_documents, needs_embedding
        from qa.retrievers.encoder_models import dense_encoders
        from qa.retrievers.encoders import document_embedder

        kind = dense_kind(self.settings)
        if kind is None:
            return None
        encoder = dense_encoders(self.settings, kind).document
        stale = self.store.filter_documents(_stale_embeddings(encoder.identity))
        todo = [d.id for d in stale if needs_embedding(d, encoder.identity)]
        embedder = document_embedder(encoder, self.settings, progress=False) if todo else None
        with os_errors("write to", self.settings.data_dir):
            for start in range(0, len(todo), PREPARE_CHUNK):
                chunk = todo[start : start + PREPARE_CHUNK]
                ids = {"field": "id", "operator": "in", "value": chunk}
                embed_documents(self.store, encoder, self.settings, filters=ids, progress=False, embedder=embedder)
                if on_progress is not None:
                    on_progress(start + len(chunk), len(todo))
            report = embed_documents(self.store, encoder, self.settings, progress=False, embedder=embedder)
        return replace(report, embedded=len(todo), already_embedded=report.total - len(todo))

    # -- indexing --------------------------------------------------------------------------
    def index_subjqa(
        self,
        domains: Sequence[str],
        *,
        source_dir: Path,
        splits: Sequence[str] = SPLITS,
        progress: bool = True,
    ) -> list[IndexSummary]:
        """Index SubjQA reviews of `domains` and keep their gold questions as labels.

        Every split is loaded and checked before anything is written, so bad input leaves the
        store as it was. Gold questions are merged by question id (`LabelStore.merge`): indexing
        another copy of SubjQA adds and updates questions and never drops the stored ones.
        """
        from indexer.write import write_reviews
        from qa.stores.factory import open_labels

        loaded = [load_subjqa(source_dir, domain, split) for domain in domains for split in splits]
        labels = open_labels(self.settings)
        summaries = []
        with os_errors("write to", self.settings.data_dir):
            self._check_writable()
            for part in loaded:
                report = write_reviews(self.store, part.reviews, progress=progress)
                merge = labels.merge(part.domain, part.split, part.questions)
                summaries.append(
                    IndexSummary(
                        source=f"subjqa/{part.domain}/{part.split}",
                        questions=len(part.questions),
                        reviews=len(part.reviews),
                        load=part.report,
                        write=report,
                        labels=merge,
                    )
                )
        return summaries

    def _check_writable(self) -> None:
        """Fail before writing anything when the data directory cannot be written (read-only, full, a file)."""
        import os
        import tempfile

        directory = self.settings.data_dir
        directory.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=directory, prefix=".write-check-")
        os.close(handle)
        Path(probe).unlink()

    def index_reviews(
        self, reviews: Sequence[Review], *, source: str, load: LoadReport, progress: bool = True
    ) -> IndexSummary:
        """Index the user's own reviews (see `indexer.sources.user_reviews`)."""
        from indexer.write import write_reviews

        with os_errors("write to", self.settings.data_dir):
            if self.settings.store.backend != "elasticsearch":
                self._check_writable()
            report = write_reviews(self.store, reviews, progress=progress)
        return IndexSummary(source=source, questions=0, reviews=len(reviews), load=load, write=report)

    def count(self, item_id: str | None = None, split: str | None = None, domain: str | None = None) -> int:
        """How many reviews the store holds (for one product, split and domain when given)."""
        from qa.stores.factory import count_matching

        _check_split(split)
        filters = review_filters(item_id, split, domain)
        return count_matching(self.store, filters)

    def products(self, split: str | None = None, domain: str | None = None) -> dict[str, int]:
        """Product ids with their number of reviews, most reviewed first."""
        _check_split(split)
        documents = self.store.filter_documents(review_filters(None, split, domain))
        counts = Counter(str(d.meta.get("item_id")) for d in documents)
        return dict(counts.most_common())

    def product_summaries(self, split: str | None = None, domain: str | None = None) -> list[ProductSummary]:
        """Every product with its number of distinct reviews and the words that tell it apart, most reviewed first.

        SubjQA names products by ASIN only; the words (`qa.products.distinctive_words`) say what each is.
        """
        from qa.products import distinctive_words

        _check_split(split)
        texts: dict[str, dict[str, str]] = {}
        for document in self.store.filter_documents(review_filters(None, split, domain)):
            reviews = texts.setdefault(str(document.meta.get("item_id")), {})
            reviews.setdefault(str(document.meta.get("review_id") or document.content), document.content or "")
        words = distinctive_words({item: list(reviews.values()) for item, reviews in texts.items()})
        summaries = [ProductSummary(item, len(reviews), words[item]) for item, reviews in texts.items()]
        return sorted(summaries, key=lambda s: (-s.reviews, s.item_id))

    def example_questions(self, item_id: str, limit: int = 4) -> list[str]:
        """Questions shoppers asked about this product (the gold labels of every split), most asked first."""
        from qa.stores.factory import open_labels

        labels = open_labels(self.settings)
        asked = Counter(
            q.question
            for domain, split in labels.available()
            for q in labels.read(domain, split)
            if q.item_id == item_id
        )
        return [question for question, _ in asked.most_common(limit)]

    def product_reviews(self, item_id: str, split: str | None = None) -> list[Review]:
        """Every review of one product (in one split when given), each once, in a stable order.

        SubjQA stores some reviews in several splits: a review id (or, without one, a text) is kept once.
        Raises NotFoundError when the store holds no review of the product.
        """
        from indexer.documents import document_to_review

        if split is not None and split not in SPLITS:
            raise QueryError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}.")
        documents = self.store.filter_documents(review_filters(item_id, split))
        if not documents:
            where = f" in split {split!r}" if split else ""
            raise NotFoundError(f"No reviews of product {item_id!r}{where}. `reviewqa products` lists them.")
        unique: dict[str, Review] = {}
        for document in sorted(documents, key=lambda d: (str(d.meta.get("review_id") or ""), d.id)):
            unique.setdefault(str(document.meta.get("review_id") or document.content), document_to_review(document))
        return list(unique.values())

    def with_retriever(self, retriever: RetrieverKind) -> ReviewQA:
        """A facade with another retriever that shares this one's store, reader and NLP models.

        Everything loaded once stays loaded once (the REST API keeps one per retriever it is asked for);
        the new facade builds its own pipelines, embedding the reviews for a dense retriever on first use.
        """
        if retriever == self.settings.retrieval.retriever:
            return self
        other = ReviewQA(self.settings.with_overrides(retriever=retriever))
        other._store, other._reader, other._nlp = self.store, self._reader, self._nlp
        return other

    # -- asking ----------------------------------------------------------------------------
    def _check_question(self, question: str, item_id: str | None, split: str | None) -> str:
        if not isinstance(question, str):
            raise QueryError(f"The question must be text, not {type(question).__name__}.")
        if item_id is not None and not isinstance(item_id, str):
            raise QueryError(f"The product id must be text, not {type(item_id).__name__}.")
        if item_id is not None and not item_id.strip():
            raise QueryError("The product id is empty: name one (`reviewqa products` lists them).")
        _check_split(split)
        try:
            question.encode("utf-8")
        except UnicodeEncodeError:
            raise QueryError("The question holds characters that are not valid text (lone surrogates).") from None
        # Zero-width, control and NUL characters carry no words: a question made only of them is empty.
        visible = "".join(ch for ch in question if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
        question = question.strip()
        if not visible.strip():
            raise QueryError("The question is empty.")
        if len(question) > MAX_QUESTION_CHARS:
            raise QueryError(f"The question has {len(question)} characters; the limit is {MAX_QUESTION_CHARS}.")
        if item_id is not None and self.count(item_id=item_id, split=split) == 0:
            known = list(self.products(split=split))
            if not known:
                raise QueryError("The index is empty. Run `reviewqa index` first.")
            close = difflib.get_close_matches(item_id, known, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else " `reviewqa products` lists them."
            where = f" in split {split!r}" if split else ""
            raise NotFoundError(f"No reviews of product {item_id!r}{where}.{hint}")
        return question

    def retrieve(
        self, question: str, *, item_id: str | None, split: str | None = None, top_k: int | None = None
    ) -> list[RetrievedReview]:
        """The reviews of one product most relevant to the question, best first."""
        question = self._check_question(question, item_id, split)
        if top_k is not None:
            check_top_k("top_k", top_k)
        output = self.pipeline("retrieval").run({"retriever": self._retriever_inputs(question, item_id, split, top_k)})
        return [_retrieved(d) for d in output["retriever"]["documents"]]

    def ask(
        self,
        question: str,
        *,
        item_id: str | None,
        split: str | None = None,
        top_k_retriever: int | None = None,
        top_k_reader: int | None = None,
        mode: AskMode = "extractive",
    ) -> AskResult:
        """Answer a question from the reviews of one product.

        mode "extractive": answers are spans read out of the reviews, scored by the reader.
        mode "generative": one free-text answer written from the retrieved reviews by the generator
        (`settings.nlp.generator_model`); its `reviews` are the reviews it used, its score 0.0.
        """
        question = self._check_question(question, item_id, split)
        for name, value in (("top_k_retriever", top_k_retriever), ("top_k_reader", top_k_reader)):
            if value is not None:
                check_top_k(name, value)
        if mode == "generative":
            output = self.pipeline("generative").run(
                {
                    "retriever": self._retriever_inputs(question, item_id, split, top_k_retriever),
                    "prompt_builder": {"query": question},
                    "answer_builder": {"query": question},
                }
            )
            from qa.analysis import generative_result

            return generative_result(question, item_id, output)
        if mode != "extractive":
            raise QueryError(f"Unknown mode {mode!r}: extractive or generative.")
        output = self.pipeline("extractive").run(
            {
                "retriever": self._retriever_inputs(question, item_id, split, top_k_retriever),
                "reader": {"query": question, "top_k": top_k_reader or self.settings.reader.top_k},
            },
            include_outputs_from={"retriever"},
        )
        reviews = [_retrieved(d) for d in output["retriever"]["documents"]]
        answers = [_answer(a) for a in output["reader"]["answers"]]
        return AskResult(
            question=question,
            item_id=item_id,
            answers=answers,
            reviews=reviews,
            confidence=_confidence(output["reader"]["answers"]),
        )

    @property
    def consensus_reader(self) -> ReviewConsensus:
        """The review consensus component (`qa.nodes.consensus`), built once on the facade's reader."""
        if self._consensus is None:
            from qa.nodes.consensus import ReviewConsensus
            from qa.nodes.entities import is_transformers_ner
            from qa.retrievers.encoder_models import embedding_encoders
            from qa.retrievers.encoders import document_embedder

            spacy_model = self.settings.nlp.ner_model
            consensus = ReviewConsensus(
                reader=self.reader,
                sentiment=self.nlp.sentiment,
                embedder=document_embedder(embedding_encoders(self.settings).document, self.settings, progress=False),
                topic_model=None if is_transformers_ner(spacy_model) else spacy_model,
            )
            consensus.warm_up()
            self._consensus = consensus
        return self._consensus

    def consensus(
        self, question: str, *, item_id: str, split: str | None = None, max_reviews: int | None = None
    ) -> Consensus:
        """What the reviews of one product say about a question, grouped by meaning, with their sentiment.

        Every review of the product (in `split` when given) is read, or the `max_reviews` that best match
        the question (retriever order; at most MAX_TOP_K); each is kept once. See `qa.nodes.consensus`.
        """
        import time

        started = time.perf_counter()
        if not isinstance(item_id, str):
            raise QueryError("A consensus is about one product: name it (item_id).")
        question = self._check_question(question, item_id, split)
        if max_reviews is not None:
            check_top_k("max_reviews", max_reviews)
        total = len(self.product_reviews(item_id, split))
        documents = self._ranked_documents(question, item_id, split)[: min(max_reviews or total, MAX_TOP_K)]
        output = self.consensus_reader.run(query=question, documents=documents)
        return Consensus(
            question=question,
            item_id=item_id,
            topic=output["topic"],
            reviews_read=len(documents),
            reviews_total=total,
            groups=output["groups"],
            candidates=output["candidates"],
            seconds=time.perf_counter() - started,
        )

    def regroup(
        self, consensus: Consensus, *, mention_threshold: float | None = None, distance_threshold: float | None = None
    ) -> Consensus:
        """The same reading grouped again with other thresholds (no review is read again; for tuning)."""
        groups = self.consensus_reader.group(consensus.candidates, mention_threshold, distance_threshold)
        return replace(consensus, groups=groups)

    def _ranked_documents(self, question: str, item_id: str, split: str | None) -> list[Document]:
        """The product's reviews as the retriever ranks them for `question`, each review once (up to MAX_TOP_K)."""
        top_k = min(self.count(item_id=item_id, split=split), MAX_TOP_K)
        output = self.pipeline("retrieval").run({"retriever": self._retriever_inputs(question, item_id, split, top_k)})
        unique: dict[str, Document] = {}
        for document in output["retriever"]["documents"]:
            unique.setdefault(str(document.meta.get("review_id") or document.content), document)
        return list(unique.values())

    # -- feedback --------------------------------------------------------------------------
    @property
    def feedback(self) -> FeedbackStore:
        """User feedback on answers, an append-only label file beside the index."""
        return open_feedback(self.settings)

    def record_feedback(
        self, question: str, item_id: str | None, answer: Answer, *, correct: bool, rank: int | None = None
    ) -> Feedback:
        """Store (durably) that `answer` to `question` about `item_id` is right or wrong."""
        record = Feedback.from_answer(
            question,
            item_id,
            answer,
            correct=correct,
            rank=rank,
            reader=self.settings.reader.model,
            retriever=self.settings.retrieval.retriever,
        )
        self.feedback.append(record)
        return record

    def _retriever_inputs(
        self, question: str, item_id: str | None, split: str | None, top_k: int | None
    ) -> dict[str, Any]:
        return {
            "query": question,
            "filters": review_filters(item_id, split),
            "top_k": top_k or self.settings.retrieval.top_k,
        }


def _stale_embeddings(identity: str) -> dict[str, Any]:
    """The filter of reviews without vectors from the encoder `identity` (as the embed step reads them)."""
    from qa.retrievers.embedding_step import EMBEDDING_MODEL_FIELD

    return {"field": f"meta.{EMBEDDING_MODEL_FIELD}", "operator": "!=", "value": identity}


def _check_split(split: object) -> None:
    """One QueryError for a split that SubjQA does not have (None means every split)."""
    if split is not None and split not in SPLITS:
        raise QueryError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}.")


def _retrieved(document: Document) -> RetrievedReview:
    from indexer.documents import document_to_review

    return RetrievedReview(
        review=document_to_review(document), score=float(document.score or 0.0), document_id=document.id
    )


def _confidence(answers: list[ExtractedAnswer]) -> Confidence | None:
    """The reader's answer decision, carried on its no-answer answer (None without one)."""
    for position, answer in enumerate(answers):
        if answer.data is None and "answer_probability" in answer.meta:
            return Confidence(
                answered=position > 0,
                probability=float(answer.meta["answer_probability"]),
                words=str(answer.meta["confidence"]),
            )
    return None


def _answer(answer: ExtractedAnswer) -> Answer:
    from qa.readers.answers import to_answer

    return to_answer(answer)
