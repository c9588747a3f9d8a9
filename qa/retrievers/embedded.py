"""Retrievers for the embedded store, with the interface of Haystack's in-memory retrievers.

Haystack's InMemoryBM25Retriever and InMemoryEmbeddingRetriever accept only an
InMemoryDocumentStore; the embedded store is SQLite-backed (see `qa.stores.embedded`), so it
brings its own pair, as every Haystack integration does for its store.
"""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.document_stores.types import FilterPolicy, apply_filter_policy

from qa.stores.embedded import EmbeddedDocumentStore


def _check(document_store: Any, top_k: int) -> None:
    if not isinstance(document_store, EmbeddedDocumentStore):
        raise TypeError("document_store must be an instance of EmbeddedDocumentStore")
    if top_k <= 0:
        raise ValueError(f"top_k must be greater than 0, but got {top_k}")


def _run_arguments(retriever: Any, filters: dict[str, Any] | None, top_k: int | None) -> tuple[Any, int]:
    """A run's filters (combined with the init filters by the retriever's policy) and its top_k."""
    filters = apply_filter_policy(retriever.filter_policy, retriever.filters, filters)
    top_k = retriever.top_k if top_k is None else top_k
    if top_k < 0:
        raise ValueError(f"top_k must be greater than or equal to 0, but got {top_k}")
    return filters, top_k


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    init = data.get("init_parameters", {})
    init["document_store"] = EmbeddedDocumentStore.from_dict(init["document_store"])
    if "filter_policy" in init:
        init["filter_policy"] = FilterPolicy.from_str(init["filter_policy"])
    return default_from_dict(cls, data)


@component
class EmbeddedBM25Retriever:
    """BM25Okapi retrieval from an EmbeddedDocumentStore, filters applied before ranking."""

    def __init__(
        self,
        document_store: EmbeddedDocumentStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        filter_policy: FilterPolicy = FilterPolicy.REPLACE,
    ) -> None:
        """
        Create the retriever.

        :param document_store: the store to search.
        :param filters: Haystack filters narrowing every search (see `filter_policy`).
        :param top_k: the maximum number of documents to return (> 0).
        :param scale_score: scale raw BM25 scores into (0, 1).
        :param filter_policy: REPLACE (runtime filters replace `filters`) or MERGE (both apply).
        :raises TypeError: the store is not an EmbeddedDocumentStore.
        :raises ValueError: `top_k` is not positive.
        """
        _check(document_store, top_k)
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.scale_score = scale_score
        self.filter_policy = filter_policy

    def to_dict(self) -> dict[str, Any]:
        """Serialise the component (the store by its configuration)."""
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            filters=self.filters,
            top_k=self.top_k,
            scale_score=self.scale_score,
            filter_policy=self.filter_policy.value,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddedBM25Retriever:
        """Deserialise the component, reopening its store."""
        return _from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(
        self,
        query: str,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        scale_score: bool | None = None,
    ) -> dict[str, list[Document]]:
        """
        Retrieve the documents BM25 ranks highest for `query`.

        :param query: the query text.
        :param filters: Haystack filters for this search (combined with the init filters by policy).
        :param top_k: the maximum number of documents (0 returns none); default: the init value.
        :param scale_score: scale scores into (0, 1); default: the init value.
        :returns: `documents`, best first, each with its `score`.
        :raises ValueError: `top_k` is negative.
        """
        filters, top_k = _run_arguments(self, filters, top_k)
        scale = self.scale_score if scale_score is None else scale_score
        return {"documents": self.document_store.bm25_retrieval(query, filters=filters, top_k=top_k, scale_score=scale)}


@component
class EmbeddedEmbeddingRetriever:
    """Exact vector retrieval from an EmbeddedDocumentStore (or its FAISS variant), filters first."""

    def __init__(
        self,
        document_store: EmbeddedDocumentStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
        filter_policy: FilterPolicy = FilterPolicy.REPLACE,
    ) -> None:
        """
        Create the retriever.

        :param document_store: the store to search.
        :param filters: Haystack filters narrowing every search (see `filter_policy`).
        :param top_k: the maximum number of documents to return (> 0).
        :param scale_score: scale similarities into (0, 1).
        :param return_embedding: keep the documents' embeddings in the results.
        :param filter_policy: REPLACE (runtime filters replace `filters`) or MERGE (both apply).
        :raises TypeError: the store is not an EmbeddedDocumentStore.
        :raises ValueError: `top_k` is not positive.
        """
        _check(document_store, top_k)
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.scale_score = scale_score
        self.return_embedding = return_embedding
        self.filter_policy = filter_policy

    def to_dict(self) -> dict[str, Any]:
        """Serialise the component (the store by its configuration)."""
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            filters=self.filters,
            top_k=self.top_k,
            scale_score=self.scale_score,
            return_embedding=self.return_embedding,
            filter_policy=self.filter_policy.value,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddedEmbeddingRetriever:
        """Deserialise the component, reopening its store."""
        return _from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        scale_score: bool | None = None,
        return_embedding: bool | None = None,
    ) -> dict[str, list[Document]]:
        """
        Retrieve the documents most similar to `query_embedding`.

        :param query_embedding: the query's vector.
        :param filters: Haystack filters for this search (combined with the init filters by policy).
        :param top_k: the maximum number of documents (0 returns none); default: the init value.
        :param scale_score: scale similarities into (0, 1); default: the init value.
        :param return_embedding: keep embeddings in the results; default: the init value.
        :returns: `documents`, best first, each with its `score`.
        :raises ValueError: `top_k` is negative.
        """
        filters, top_k = _run_arguments(self, filters, top_k)
        documents = self.document_store.embedding_retrieval(
            query_embedding,
            filters=filters,
            top_k=top_k,
            scale_score=self.scale_score if scale_score is None else scale_score,
            return_embedding=self.return_embedding if return_embedding is None else return_embedding,
        )
        return {"documents": documents}
