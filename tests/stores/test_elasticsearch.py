"""Elasticsearch: the store contract and retrieval tests against a real server when ES_URL is set.

Start one with `docker compose -f docker/docker-compose.yml -f docker/docker-compose.dev.yml up -d
elasticsearch` and `export ES_URL=http://localhost:9200`. Without ES_URL these tests are skipped
(never mocked); the unreachable-server test runs everywhere.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from indexer.write import write_reviews
from qa.errors import StoreError
from qa.stores.elasticsearch import open_elasticsearch
from qa.stores.filters import review_filters
from tests.stores.contract import REVIEWS, StoreContract

ES_URL = os.environ.get("ES_URL")
needs_es = pytest.mark.skipif(not ES_URL, reason="ES_URL not set: Elasticsearch tests skipped")


def index_name(path: str) -> str:
    """A test index per store path."""
    return "reviewqa-test-" + hashlib.sha256(path.encode()).hexdigest()[:16]


def reopen(path: str) -> Any:
    """Open the index of a store path again (used by the cross-process test)."""
    return open_elasticsearch(os.environ["ES_URL"], index_name(path))


@pytest.fixture
def es_store_factory():
    opened: list[Any] = []

    def make(path: Path) -> Any:
        store = open_elasticsearch(ES_URL, index_name(str(path)))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.client.indices.delete(index=store._index, ignore_unavailable=True)


@needs_es
class TestElasticsearchStore(StoreContract):
    reopen = "tests.stores.test_elasticsearch:reopen"

    @pytest.fixture
    def make_store(self, es_store_factory):
        return es_store_factory

    def bm25(self, store: Any, query: str, filters: dict | None, top_k: int) -> list:
        return store._bm25_retrieval(query, filters=filters, top_k=top_k)


@needs_es
@pytest.mark.parametrize("retriever", ["bm25", "embedding", "hybrid"])
def test_retrievers_filter_and_fill_top_k(retriever: str, tmp_path: Path, es_store_factory) -> None:
    from qa.api import ReviewQA
    from qa.config import Settings

    settings = Settings(
        data_dir=tmp_path,
        store_backend="elasticsearch",
        es_url=ES_URL,
        es_index=index_name(str(tmp_path / "store")),
        retriever=retriever,  # type: ignore[arg-type]
        device="cpu",
    )
    store = es_store_factory(tmp_path / "store")
    write_reviews(store, REVIEWS, progress=False)
    api = ReviewQA(settings)
    api._store = store
    found = api.retrieve("lens quality", item_id="A", split="test", top_k=2)
    assert len(found) == 2 and all(r.review.item_id == "A" for r in found)
    if retriever != "bm25":  # exact filtered vector search: both embedded test reviews of A, nothing else
        docs = store._embedding_retrieval([0.1] * 384, filters=review_filters("A", "test"), top_k=5)
        assert sorted(d.meta["review_id"] for d in docs) == ["a1", "a2"]


def test_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not reachable"):
        open_elasticsearch("http://127.0.0.1:9", "reviewqa-test", max_retries=0, request_timeout=2)


def test_missing_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="ES_URL"):
        open_elasticsearch(None, "reviewqa-test")
