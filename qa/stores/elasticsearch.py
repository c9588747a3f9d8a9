"""Elasticsearch 8 backend (elasticsearch-haystack's store, with the project's guarantees).

What this subclass changes, and why:
- BM25 keeps every review that passes the filters: the library puts the match in `must`, so a
  review sharing no word with the question is dropped and a product with 5 reviews can return
  fewer than `top_k`. Here the match is a `should` clause beside the `filter`, which scores
  matching reviews first and keeps the others (score 0) after them.
- Filtered dense retrieval is exact: the product/split filter selects the reviews first and
  `script_score` computes the cosine for each of them, instead of approximate kNN candidates.
  Unfiltered dense queries use the kNN index.
- Connection problems become `qa.errors.StoreError` (one line in the CLI), and the client retries
  transient failures (timeouts, 429/502/503/504) with back-off.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document
from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore
from haystack_integrations.document_stores.elasticsearch.filters import _normalize_filters

from qa.errors import StoreError

#: Statuses the client retries (rate limiting, restarting or overloaded node).
RETRY_STATUSES = (429, 502, 503, 504)


def _connection_errors() -> tuple[type[BaseException], ...]:
    from elastic_transport import ConnectionError as TransportConnectionError
    from elastic_transport import ConnectionTimeout
    from elasticsearch import ApiError

    return (TransportConnectionError, ConnectionTimeout, ApiError)


class ReviewElasticsearchStore(ElasticsearchDocumentStore):
    """ElasticsearchDocumentStore whose BM25 keeps every filtered review and whose filtered kNN is exact."""

    def _bm25_retrieval(
        self,
        query: str,
        *,
        filters: dict[str, Any] | None = None,
        fuzziness: str = "AUTO",
        top_k: int = 10,
        scale_score: bool = False,
    ) -> list[Document]:
        if not query:
            raise ValueError("query must be a non empty string")
        boolean: dict[str, Any] = {"should": [{"match": {"content": {"query": query}}}]}
        if filters:
            boolean["filter"] = _normalize_filters(filters)  # `should` becomes optional: every filtered review kept
        return self._search_documents(size=top_k, query={"bool": boolean})

    def _embedding_retrieval(
        self,
        query_embedding: list[float],
        *,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        num_candidates: int | None = None,
    ) -> list[Document]:
        if not filters:
            return super()._embedding_retrieval(
                query_embedding, filters=None, top_k=top_k, num_candidates=num_candidates
            )
        if not query_embedding:
            raise ValueError("query_embedding must be a non-empty list of floats")
        selected = {"bool": {"filter": [_normalize_filters(filters), {"exists": {"field": "embedding"}}]}}
        script = {
            "source": "cosineSimilarity(params.query_vector, 'embedding') + 1.0",
            "params": {"query_vector": query_embedding},
        }
        documents = self._search_documents(size=top_k, query={"script_score": {"query": selected, "script": script}})
        # Back to the plain cosine, as the kNN search and the other backends report it.
        return [replace(d, score=d.score - 1.0) if d.score is not None else d for d in documents]


def open_elasticsearch(
    url: str | None,
    index: str,
    *,
    request_timeout: float = 30.0,
    max_retries: int = 3,
) -> ReviewElasticsearchStore:
    """A connected store; a StoreError (one line in the CLI, not a traceback) when ES cannot be used."""
    if not url:
        raise StoreError(
            "store_backend is elasticsearch but no URL is set: export ES_URL=http://localhost:9200 "
            "(see docker/docker-compose.yml)."
        )
    store = ReviewElasticsearchStore(
        hosts=url,
        index=index,
        embedding_similarity_function="cosine",
        request_timeout=request_timeout,
        retry_on_timeout=True,
        max_retries=max_retries,
        retry_on_status=RETRY_STATUSES,
    )
    try:
        store.count_documents()  # connects, checks the cluster, creates the index if needed
    except _connection_errors() as error:
        raise StoreError(f"Elasticsearch at {url} is not reachable or refused the request: {error}") from error
    return store
