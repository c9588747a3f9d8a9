"""The project's pipelines, defined once. The CLI, the API, the UI and eval ask for them by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, get_args

from haystack import Pipeline, component
from haystack.components.builders import AnswerBuilder, ChatPromptBuilder
from haystack.components.joiners import DocumentJoiner
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
from haystack.core.super_component import SuperComponent
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DocumentStore
from haystack.utils import ComponentDevice

from qa.config import DenseKind, RetrieverKind, Settings
from qa.device import resolve_device
from qa.errors import ModelError, StoreError
from qa.nodes.generator import LocalChatGenerator
from qa.pipelines.generative import PROMPT_TEMPLATE, build_generator
from qa.readers.fast import CPU_ONLY
from qa.readers.model_files import fitted_decision, read_reader_info, resolve_reader
from qa.retrievers.embedded import EmbeddedBM25Retriever, EmbeddedEmbeddingRetriever
from qa.retrievers.encoder_models import resolve_encoder_model
from qa.retrievers.reranker import reranker_identity
from qa.stores.embedded import EmbeddedDocumentStore

if TYPE_CHECKING:  # the reader (and transformers) load only when a reader is built, not on BM25 paths
    from qa.readers.decision import AnswerDecision
    from qa.readers.reader import ReviewReader

PipelineName = Literal["retrieval", "extractive", "generative"]


RETRIEVERS: tuple[str, ...] = get_args(RetrieverKind)


def dense_kind(settings: Settings) -> DenseKind | None:
    """The dense encoder the configured retriever needs (None for BM25)."""
    if settings.retrieval.retriever not in RETRIEVERS:
        raise StoreError(f"Unknown retriever {settings.retrieval.retriever!r}: use one of {', '.join(RETRIEVERS)}.")
    if settings.retrieval.retriever == "bm25":
        return None
    if settings.retrieval.retriever == "hybrid":
        return settings.retrieval.hybrid_dense
    return "embedding" if settings.retrieval.retriever == "embedding" else "dpr"


def _is_elasticsearch(store: DocumentStore) -> bool:
    module = type(store).__module__
    return module.startswith(("qa.stores.elasticsearch", "haystack_integrations.document_stores.elasticsearch"))


def _bm25(store: DocumentStore, top_k: int) -> Any:
    """BM25 of the store's backend; every backend filters by product/split before ranking."""
    if isinstance(store, EmbeddedDocumentStore):  # embedded and FAISS
        return EmbeddedBM25Retriever(document_store=store, top_k=top_k)
    if isinstance(store, InMemoryDocumentStore):
        return InMemoryBM25Retriever(document_store=store, top_k=top_k)
    if _is_elasticsearch(store):
        from haystack_integrations.components.retrievers.elasticsearch import ElasticsearchBM25Retriever

        return ElasticsearchBM25Retriever(document_store=store, top_k=top_k)  # type: ignore[arg-type]
    raise StoreError(f"BM25 retrieval is not implemented for {type(store).__name__}.")


def _vector(store: DocumentStore, top_k: int) -> Any:
    """Vector search of the store's backend (FAISS: exact within the filter; ES: exact script_score)."""
    if isinstance(store, EmbeddedDocumentStore):  # FaissDocumentStore overrides embedding_retrieval
        return EmbeddedEmbeddingRetriever(document_store=store, top_k=top_k)
    if isinstance(store, InMemoryDocumentStore):
        return InMemoryEmbeddingRetriever(document_store=store, top_k=top_k)
    if _is_elasticsearch(store):
        from haystack_integrations.components.retrievers.elasticsearch import ElasticsearchEmbeddingRetriever

        return ElasticsearchEmbeddingRetriever(document_store=store, top_k=top_k)  # type: ignore[arg-type]
    raise StoreError(f"Embedding retrieval is not implemented for {type(store).__name__}.")


@component
class CandidateCount:
    """Passes `top_k` on, and how many candidates an earlier stage fetches (at least `minimum`).

    :param minimum: the fewest reviews an earlier stage fetches, so that the stage after it has more
        than the final `top_k` to choose from: each hybrid branch (BM25, dense) before fusion
        (`settings.retrieval.hybrid_candidates`, default 20) or the first stage before the reranker
        (`settings.retrieval.rerank_candidates`, default 10).
    """

    def __init__(self, minimum: int = 20) -> None:
        self.minimum = minimum

    @component.output_types(top_k=int, candidates=int)
    def run(self, top_k: int) -> dict[str, int]:
        """How many reviews the joiner keeps and each branch fetches.

        :param top_k: the number of reviews the hybrid retriever returns.
        :returns: A dictionary with the following keys:
            - `top_k`: the input `top_k`, unchanged, for the joiner.
            - `candidates`: max(top_k, minimum), the number of reviews the earlier stage fetches.
        """
        return {"top_k": top_k, "candidates": max(top_k, self.minimum)}


def _dense_pipeline(store: DocumentStore, settings: Settings, kind: DenseKind, pipeline: Pipeline) -> None:
    from qa.retrievers.encoder_models import dense_encoders
    from qa.retrievers.encoders import text_embedder

    pipeline.add_component("query_embedder", text_embedder(dense_encoders(settings, kind).query, settings))
    pipeline.add_component("dense", _vector(store, settings.retrieval.top_k))
    pipeline.connect("query_embedder.embedding", "dense.query_embedding")


def build_retriever(store: DocumentStore, settings: Settings) -> Any:
    """The retriever `settings` configures, bound to `store`: one component with inputs `query`,
    `filters`, `top_k` and output `documents`, whatever it is made of.

    Without a reranker (`settings.retrieval.reranker == "none"`) it is the first stage alone
    (`first_stage_retriever`). With one, the first stage fetches max(top_k,
    `settings.retrieval.rerank_candidates`) reviews and Haystack's cross-encoder ranker keeps the
    `top_k` it scores highest, its score replacing the first stage's.
    """
    first = first_stage_retriever(store, settings)
    if not settings.retrieval.reranked:
        return first
    from qa.retrievers.reranker import build_reranker

    pipeline = Pipeline()
    pipeline.add_component("candidates", CandidateCount(settings.retrieval.rerank_candidates))
    pipeline.add_component("first_stage", first)
    pipeline.add_component("reranker", build_reranker(settings))
    pipeline.connect("candidates.candidates", "first_stage.top_k")
    pipeline.connect("candidates.top_k", "reranker.top_k")
    pipeline.connect("first_stage.documents", "reranker.documents")
    return SuperComponent(
        pipeline,
        input_mapping={
            "query": ["first_stage.query", "reranker.query"],
            "filters": ["first_stage.filters"],
            "top_k": ["candidates.top_k"],
        },
        output_mapping={"reranker.documents": "documents"},
    )


def first_stage_retriever(store: DocumentStore, settings: Settings) -> Any:
    """The retriever `settings.retrieval.retriever` names, bound to `store` (inputs `query`, `filters`,
    `top_k`; output `documents`):

    - bm25: the backend's BM25 retriever;
    - embedding / dpr: question encoder -> the backend's vector search (a SuperComponent);
    - hybrid: BM25 and the dense retriever `settings.retrieval.hybrid_dense`, each fetching at least
      `settings.retrieval.hybrid_candidates` reviews, joined by reciprocal rank fusion weighted
      `settings.retrieval.hybrid_bm25_weight` : 1 - that (the joiner orders its input lists as connected:
      BM25 first; a test checks that weight 1 gives BM25's ranking and 0 the dense one).
    """
    kind = dense_kind(settings)
    if kind is None:
        return _bm25(store, settings.retrieval.top_k)
    pipeline = Pipeline()
    _dense_pipeline(store, settings, kind, pipeline)
    if settings.retrieval.retriever != "hybrid":
        return SuperComponent(
            pipeline,
            input_mapping={"query": ["query_embedder.text"], "filters": ["dense.filters"], "top_k": ["dense.top_k"]},
            output_mapping={"dense.documents": "documents"},
        )
    pipeline.add_component("bm25", _bm25(store, settings.retrieval.top_k))
    pipeline.add_component("candidates", CandidateCount(settings.retrieval.hybrid_candidates))
    weights = [settings.retrieval.hybrid_bm25_weight, 1.0 - settings.retrieval.hybrid_bm25_weight]
    pipeline.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", weights=weights))
    pipeline.connect("candidates.candidates", "bm25.top_k")
    pipeline.connect("candidates.candidates", "dense.top_k")
    pipeline.connect("candidates.top_k", "joiner.top_k")
    pipeline.connect("bm25.documents", "joiner.documents")
    pipeline.connect("dense.documents", "joiner.documents")
    return SuperComponent(
        pipeline,
        input_mapping={
            "query": ["bm25.query", "query_embedder.text"],
            "filters": ["bm25.filters", "dense.filters"],
            "top_k": ["candidates.top_k"],
        },
        output_mapping={"joiner.documents": "documents"},
    )


def build_reader(settings: Settings, *, all_signals: bool = False) -> ReviewReader:
    """The extractive reader of `settings` (hub id or local folder; GPU when present).

    :param settings: the reader's settings (model, decision, precision, similarity encoder).
    :param all_signals: compute every decision signal the settings allow (the sentence encoder's
        cosines included), as for fitting a decision; otherwise only those the fitted decision reads.
    """
    from qa.readers.decision import AnswerDecision
    from qa.readers.reader import ReviewReader

    model = resolve_reader(settings)
    tuned = read_reader_info(model.name_or_path).get("extra", {}) if model.is_local else {}
    # An explicit boost (flag or REVIEWQA_NO_ANSWER_BOOST) means the single threshold; otherwise the
    # decision fitted with the model (`reviewqa_reader.json`), else its tuned boost, else 0.
    boost = settings.reader.no_answer_boost
    # With a reranker, the decision fitted for reader + that reranker (tune-reader --reranker), else the plain one.
    decision = fitted_decision(tuned, reranker_identity(settings)) if boost is None and model.is_local else None
    if boost is None:
        boost = float(tuned.get("no_answer_boost", 0.0))
    precision = settings.reader.precision
    if precision == "auto":  # the variant train-reader chose on dev, else the fp32 reference
        precision = str(tuned.get("inference", {}).get("precision", "fp32"))
    device = resolve_device(settings.device)
    if device != "cpu" and precision in CPU_ONLY:
        precision = "fp32"  # int8 dynamic quantisation and the OpenVINO builds are CPU paths
    fitted = AnswerDecision.from_dict(decision) if decision is not None else None
    encoder = similarity_encoder(settings, fitted, all_signals)
    similarity = None if encoder is None else resolve_encoder_model(encoder, settings).name_or_path
    return ReviewReader(
        model=model.name_or_path,
        device=ComponentDevice.from_str(device),
        top_k=settings.reader.top_k,
        max_seq_length=settings.reader.max_seq_length,
        stride=settings.reader.stride,
        no_answer=settings.reader.no_answer,
        max_answer_tokens=settings.reader.max_answer_tokens,
        no_answer_boost=boost,
        decision=decision,
        precision=precision,  # type: ignore[arg-type]
        group_by_length=settings.reader.group_by_length,
        similarity_model=similarity,
    )


def similarity_encoder(settings: Settings, decision: AnswerDecision | None, all_signals: bool = False) -> str | None:
    """The sentence encoder, as configured, whose cosines the reader computes for its answer decision.

    Fitting (`all_signals`) uses the configured one (`settings.reader.similarity_model`; "none" = no
    cosines). At inference only a decision that reads the cosines gets them, from the encoder it was
    fitted with (`AnswerDecision.similarity_model`), whatever is configured now: another encoder's
    cosines, or none, would silently shift its probabilities.

    :param settings: the reader's settings.
    :param decision: the fitted decision the reader will use (None: the single threshold).
    :param all_signals: collecting signals to fit a decision?
    :raises ModelError: the decision reads cosines, records no encoder, and none is configured.
    """
    from qa.readers.decision import reads_similarity

    configured = None if settings.reader.similarity_model == "none" else settings.reader.similarity_model
    if all_signals:
        return configured
    if decision is None or not reads_similarity(decision):
        return None
    encoder = decision.similarity_model or configured
    if encoder is None:
        raise ModelError(
            "This reader's answer decision reads a sentence encoder's cosines but records no encoder, and "
            "REVIEWQA_SIMILARITY_MODEL is none: set it to the encoder the decision was fitted with, or refit "
            "the decision with `reviewqa tune-reader`."
        )
    return encoder


def retrieval_pipeline(store: DocumentStore, settings: Settings) -> Pipeline:
    """Retriever only: question (+ filters) -> ranked reviews."""
    pipeline = Pipeline()
    pipeline.add_component("retriever", build_retriever(store, settings))
    return pipeline


def extractive_pipeline(store: DocumentStore, settings: Settings, reader: ReviewReader | None = None) -> Pipeline:
    """Retriever -> extractive reader: question (+ filters) -> answers read out of reviews."""
    pipeline = retrieval_pipeline(store, settings)
    pipeline.add_component("reader", reader or build_reader(settings))
    pipeline.connect("retriever.documents", "reader.documents")
    return pipeline


def generative_pipeline(
    store: DocumentStore, settings: Settings, generator: LocalChatGenerator | None = None
) -> Pipeline:
    """Question (+ product filters) -> retrieved reviews -> generated answer citing them.

    Run it with inputs for `retriever` (query, filters, top_k), `prompt_builder` (query) and
    `answer_builder` (query); the answer is `answer_builder.answers[0]`.
    """
    pipeline = retrieval_pipeline(store, settings)
    pipeline.add_component(
        "prompt_builder", ChatPromptBuilder(template=PROMPT_TEMPLATE, required_variables=["query", "documents"])
    )
    pipeline.add_component("generator", generator or build_generator(settings))
    pipeline.add_component(
        "answer_builder", AnswerBuilder(reference_pattern=r"\[(\d+)\]", return_only_referenced_documents=False)
    )
    pipeline.connect("retriever.documents", "prompt_builder.documents")
    pipeline.connect("prompt_builder.prompt", "generator.messages")
    pipeline.connect("generator.replies", "answer_builder.replies")
    pipeline.connect("retriever.documents", "answer_builder.documents")
    return pipeline


PIPELINES: dict[str, Callable[..., Pipeline]] = {
    "retrieval": retrieval_pipeline,
    "extractive": extractive_pipeline,
    "generative": generative_pipeline,
}
