"""The FAISS store against the store contract, exact filtered search, and safe persistence."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from qa.stores.embedded import EmbeddedDocumentStore
from qa.stores.faiss_store import VECTORS_FILE, FaissDocumentStore
from qa.stores.filters import review_filters
from tests.stores.contract import StoreContract


def reopen(path: str) -> FaissDocumentStore:
    """Open an existing FAISS store (used by the cross-process test)."""
    return FaissDocumentStore(path, device="cpu", create=False)


class TestFaissStore(StoreContract):
    reopen = "tests.stores.test_faiss:reopen"

    @pytest.fixture
    def make_store(self):
        return lambda path: FaissDocumentStore(path, device="cpu")


def _corpus(n: int = 400, dim: int = 16, products: int = 8, seed: int = 0) -> list[Document]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return [
        Document(
            id=f"d{i}",
            content=f"review {i}",
            embedding=vectors[i].tolist(),
            meta={"item_id": f"P{i % products}", "split": "test" if i % 3 else "train"},
        )
        for i in range(n)
    ]


def _brute_force(docs: list[Document], query: np.ndarray, item: str, split: str, top_k: int) -> list[str]:
    chosen = [d for d in docs if d.meta["item_id"] == item and d.meta["split"] == split]
    matrix = np.asarray([d.embedding for d in chosen])
    scores = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
    order = np.argsort(-scores)[:top_k]
    return [chosen[i].id for i in order]


def test_filtered_search_is_exact(tmp_path: Path) -> None:
    docs = _corpus()
    store = FaissDocumentStore(tmp_path, device="cpu")
    store.write_documents(docs)
    rng = np.random.default_rng(1)
    for trial in range(20):
        query = rng.normal(size=16).astype(np.float32)
        item, split = f"P{trial % 8}", ("test", "train")[trial % 2]
        expected = _brute_force(docs, query, item, split, 10)
        found = store.embedding_retrieval(query.tolist(), filters=review_filters(item, split), top_k=10)
        assert [d.id for d in found] == expected  # never short: the filter runs before the search
        assert all(d.meta["item_id"] == item and d.embedding is None for d in found)
    everything = store.embedding_retrieval(query.tolist(), top_k=5)
    assert [d.id for d in everything] == [
        d.id for d in sorted(docs, key=lambda d: -float(np.dot(d.embedding, query) / np.linalg.norm(d.embedding)))
    ][:5]


def test_vectors_persist_and_follow_updates(tmp_path: Path) -> None:
    docs = _corpus(60)
    store = FaissDocumentStore(tmp_path, device="cpu")
    store.write_documents(docs)
    query = np.ones(16, dtype=np.float32).tolist()
    before = [d.id for d in store.embedding_retrieval(query, filters=review_filters("P1", "test"), top_k=3)]
    assert (tmp_path / VECTORS_FILE).is_file()  # built by the first search, saved beside the documents

    again = reopen(str(tmp_path))
    assert again._built_for == again.generation()  # the saved index was valid and reused
    assert [d.id for d in again.embedding_retrieval(query, filters=review_filters("P1", "test"), top_k=3)] == before

    again.delete_documents([before[0]])
    moved = Document(id=before[1], content="x", embedding=[-v for v in query], meta=docs[int(before[1][1:])].meta)
    again.write_documents([moved], policy=__import__("haystack").document_stores.types.DuplicatePolicy.OVERWRITE)
    after = [d.id for d in again.embedding_retrieval(query, filters=review_filters("P1", "test"), top_k=3)]
    assert before[0] not in after and after[-1] != before[1] and before[2] in after


def test_writes_by_another_process_or_a_broken_vector_file_rebuild_the_index(tmp_path: Path) -> None:
    docs = _corpus(40)
    first = FaissDocumentStore(tmp_path, device="cpu")
    first.write_documents(docs[:20])
    assert first.embedding_retrieval(docs[3].embedding or [], top_k=1)[0].id == "d3"
    # Documents written behind the index's back (another process): the next search sees them.
    EmbeddedDocumentStore(tmp_path).write_documents(docs[20:])
    assert first.embedding_retrieval(docs[30].embedding or [], top_k=1)[0].id == "d30"
    store = reopen(str(tmp_path))
    assert store.embedding_retrieval(docs[30].embedding or [], top_k=1)[0].id == "d30"
    (tmp_path / VECTORS_FILE).write_bytes(b"garbage")
    assert reopen(str(tmp_path)).embedding_retrieval(docs[3].embedding or [], top_k=1)[0].id == "d3"


def test_failing_to_save_the_vectors_keeps_searching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _corpus(20)
    store = FaissDocumentStore(tmp_path, device="cpu")
    store.write_documents(docs)

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    assert store.embedding_retrieval(docs[15].embedding or [], top_k=1)[0].id == "d15"
    monkeypatch.undo()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    reopened = reopen(str(tmp_path))
    assert reopened.count_documents() == 20
    assert reopened.embedding_retrieval(docs[15].embedding or [], top_k=1)[0].id == "d15"
