"""The embedded store against the store contract, plus its own persistence guarantees."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from indexer.write import write_reviews
from qa.errors import StoreError
from qa.stores.embedded import STORE_FILE, EmbeddedDocumentStore
from tests.stores.contract import REVIEWS, StoreContract


def reopen(path: str) -> EmbeddedDocumentStore:
    """Open an existing embedded store (used by the cross-process test)."""
    return EmbeddedDocumentStore(path, create=False)


class TestEmbeddedStore(StoreContract):
    @pytest.fixture
    def make_store(self):
        return EmbeddedDocumentStore


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="reviewqa index"):
        EmbeddedDocumentStore(tmp_path / "none", create=False)


def test_embeddings_survive_reload(tmp_path: Path) -> None:
    store = EmbeddedDocumentStore(tmp_path)
    store.write_documents([Document(id="x", content="a", embedding=[0.1, 0.2, 0.3]), Document(id="y", content="b")])
    again = reopen(str(tmp_path))
    by_id = {d.id: d for d in again.filter_documents()}
    assert np.allclose(by_id["x"].embedding, [0.1, 0.2, 0.3]) and by_id["y"].embedding is None
    top = again.embedding_retrieval(query_embedding=[0.1, 0.2, 0.3], top_k=1)
    assert top[0].id == "x"


def test_crash_during_save_keeps_the_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedDocumentStore(tmp_path)
    write_reviews(store, REVIEWS[:2], progress=False)

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_reviews(store, REVIEWS[2:], progress=False)
    monkeypatch.undo()
    assert reopen(str(tmp_path)).count_documents() == 2
    assert [p.name for p in tmp_path.iterdir()] == [STORE_FILE]  # no temporary file left behind


def test_batch_saves_once_and_not_on_error(tmp_path: Path) -> None:
    store = EmbeddedDocumentStore(tmp_path)
    with pytest.raises(RuntimeError), store.batch():
        store.write_documents([Document(id="x", content="a")])
        raise RuntimeError("interrupted")
    assert not (tmp_path / STORE_FILE).exists()


def test_wrong_format_version_is_refused(tmp_path: Path) -> None:
    store = EmbeddedDocumentStore(tmp_path)
    store.write_documents([Document(id="x", content="a")])
    with np.load(tmp_path / STORE_FILE) as archive:
        parts = dict(archive)
    parts["header"] = np.frombuffer(b'{"format_version": 999}', dtype=np.uint8)
    np.savez(tmp_path / STORE_FILE, **parts)
    os.replace(tmp_path / (STORE_FILE + ".npz"), tmp_path / STORE_FILE)
    with pytest.raises(StoreError, match="format version 999"):
        reopen(str(tmp_path))


def test_pipeline_yaml_round_trip_reopens_the_saved_store(tmp_path: Path) -> None:
    from haystack import Pipeline

    from qa.config import Settings
    from qa.pipelines.definitions import retrieval_pipeline

    store = EmbeddedDocumentStore(tmp_path)
    write_reviews(store, REVIEWS, progress=False)
    yaml = retrieval_pipeline(store, Settings(data_dir=tmp_path)).dumps()
    loaded = Pipeline.loads(yaml, allowed_modules=["qa.stores.embedded"])
    docs = loaded.run({"retriever": {"query": "autofocus", "top_k": 1}})["retriever"]["documents"]
    assert docs[0].meta["review_id"] == "b2"
