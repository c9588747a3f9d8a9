"""The project's pipelines, defined once. The CLI, the API, the UI and eval ask for them by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from haystack import Pipeline
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DocumentStore
from haystack.utils import ComponentDevice

from qa.config import Settings
from qa.device import resolve_device
from qa.errors import StoreError
from qa.readers.models import read_reader_info, resolve_reader
from qa.readers.reader import ReviewReader

PipelineName = Literal["retrieval", "extractive"]


def build_retriever(store: DocumentStore, settings: Settings) -> InMemoryBM25Retriever:
    """The retriever `settings.retriever` names, bound to `store`."""
    if settings.retriever == "bm25":
        if not isinstance(store, InMemoryDocumentStore):
            raise StoreError(f"BM25 retrieval is not implemented for {type(store).__name__}.")
        return InMemoryBM25Retriever(document_store=store, top_k=settings.top_k_retriever)
    raise StoreError(f"Retriever {settings.retriever!r} is not available for this store.")


def build_reader(settings: Settings) -> ReviewReader:
    """The extractive reader of `settings` (hub id or local folder; GPU when present)."""
    model = resolve_reader(settings)
    tuned = read_reader_info(model.name_or_path).get("extra", {}) if model.is_local else {}
    boost = settings.reader.no_answer_boost
    if boost is None:
        boost = float(tuned.get("no_answer_boost", 0.0))
    return ReviewReader(
        model=model.name_or_path,
        device=ComponentDevice.from_str(resolve_device(settings.device)),
        top_k=settings.top_k_reader,
        max_seq_length=settings.reader.max_seq_length,
        stride=settings.reader.stride,
        no_answer=settings.reader.no_answer,
        max_answer_tokens=settings.reader.max_answer_tokens,
        no_answer_boost=boost,
    )


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


PIPELINES: dict[str, Callable[..., Pipeline]] = {
    "retrieval": retrieval_pipeline,
    "extractive": extractive_pipeline,
}
