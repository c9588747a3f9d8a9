"""The store contract: every backend the project has must pass these tests.

A backend's test module subclasses `StoreContract` and provides a `make_store` fixture returning a
factory `make_store(path) -> store` whose stores at the same `path` see the same data.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from haystack import Document

from indexer.documents import review_to_document
from indexer.write import write_reviews
from qa.stores.filters import review_filters
from qa.types import Review

MakeStore = Callable[[Path], Any]

REVIEWS = [
    Review(item_id="A", text="The battery lasts two full days of heavy use.", review_id="a1", domain="t", split="test"),
    Review(item_id="A", text="Screen is bright, colours are vivid.", review_id="a2", domain="t", split="test"),
    Review(
        item_id="A", text="Battery died after a week, very poor battery.", review_id="a3", domain="t", split="train"
    ),
    Review(item_id="B", text="The battery of this camera is excellent.", review_id="b1", domain="t", split="test"),
    Review(item_id="B", text="Lens is sharp and autofocus is quick.", review_id="b2", domain="t", split="test"),
]


class StoreContract:
    """Behaviour every document store backend must show."""

    #: "module:function" reopening the store at a path, run in a new process by the persistence test.
    reopen = "tests.stores.test_embedded:reopen"

    @pytest.fixture
    def store(self, make_store: MakeStore, tmp_path: Path) -> Any:
        store = make_store(tmp_path / "store")
        write_reviews(store, REVIEWS, progress=False)
        return store

    def bm25(self, store: Any, query: str, filters: dict | None, top_k: int) -> list[Document]:
        """BM25 through the backend's own retrieval call (override for other backends)."""
        return store.bm25_retrieval(query=query, filters=filters, top_k=top_k)

    def test_write_and_read(self, store: Any) -> None:
        assert store.count_documents() == len(REVIEWS)
        contents = {d.content for d in store.filter_documents()}
        assert contents == {r.text for r in REVIEWS}

    def test_meta_round_trip(self, store: Any) -> None:
        (doc,) = store.filter_documents({"field": "meta.review_id", "operator": "==", "value": "b2"})
        assert doc.meta == {"item_id": "B", "review_id": "b2", "domain": "t", "split": "test"}

    def test_filters_by_product_and_split(self, store: Any) -> None:
        docs = store.filter_documents(review_filters(item_id="A", split="test"))
        assert sorted(d.meta["review_id"] for d in docs) == ["a1", "a2"]
        assert store.filter_documents(review_filters(item_id="nope")) == []

    def test_reindex_is_idempotent(self, store: Any) -> None:
        report = write_reviews(store, REVIEWS, progress=False)
        assert report.written == 0 and report.already_present == len(REVIEWS)
        assert store.count_documents() == len(REVIEWS)

    def test_delete(self, store: Any) -> None:
        target = review_to_document(REVIEWS[0]).id
        store.delete_documents([target])
        assert store.count_documents() == len(REVIEWS) - 1
        assert target not in {d.id for d in store.filter_documents()}

    def test_persists_across_processes(self, make_store: MakeStore, store: Any, tmp_path: Path) -> None:
        store.delete_documents([review_to_document(REVIEWS[1]).id])
        module, function = self.reopen.split(":")
        code = (
            f"import sys; from {module} import {function} as reopen; "
            f"print(reopen({str(tmp_path / 'store')!r}).count_documents())"
        )
        root = Path(__file__).resolve().parents[2]
        out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
        assert out.stdout.strip().splitlines()[-1] == str(len(REVIEWS) - 1)

    def test_bm25_ranks_matching_review_first_within_filter(self, store: Any) -> None:
        docs = self.bm25(store, "how is the battery", review_filters(item_id="A", split="test"), 5)
        assert [d.meta["review_id"] for d in docs] == ["a1", "a2"]  # filtered before ranking, all returned
        docs = self.bm25(store, "autofocus lens", review_filters(item_id="B"), 1)
        assert docs[0].meta["review_id"] == "b2"

    def test_bm25_never_returns_other_products(self, store: Any) -> None:
        for item in ("A", "B"):
            docs = self.bm25(store, "battery", review_filters(item_id=item), 10)
            assert docs and all(d.meta["item_id"] == item for d in docs)
