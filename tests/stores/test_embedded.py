"""The embedded store against the store contract, plus its own guarantees.

Persistence, several processes at once, a kill -9 mid-write, old stores, and broken files.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from indexer.write import write_reviews
from qa.errors import StoreError
from qa.stores.embedded import STORE_FILE, EmbeddedDocumentStore
from qa.stores.embedded.legacy import LEGACY_FILE
from tests.stores.contract import REVIEWS, StoreContract

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_failed_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedDocumentStore(tmp_path)
    write_reviews(store, REVIEWS[:2], progress=False)
    with pytest.raises(Exception, match="already exists"):  # the batch's second id is a duplicate: all or nothing
        store.write_documents([Document(id="new", content="x"), store.filter_documents()[0]])
    assert reopen(str(tmp_path)).count_documents() == 2
    assert "new" not in {d.id for d in store.filter_documents()}


def test_a_newer_format_says_to_upgrade(tmp_path: Path) -> None:
    EmbeddedDocumentStore(tmp_path).write_documents([Document(id="x", content="a")])
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        db.execute("UPDATE info SET value = 999 WHERE key = 'format_version'")
    with pytest.raises(StoreError, match=r"format version 999.*newer reviewqa: upgrade"):
        reopen(str(tmp_path))


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", None), (os.urandom(5000), "not a database"), (b"SQLite format 3\x00" + b"\x00" * 50, "move it away")],
)
def test_broken_store_files_give_one_clear_error(tmp_path: Path, content: bytes, message: str | None) -> None:
    (tmp_path / STORE_FILE).write_bytes(content)
    if message is None:  # an empty file is an empty SQLite database: a new store is created in it
        assert reopen(str(tmp_path)).count_documents() == 0
        return
    with pytest.raises(StoreError, match=message):
        reopen(str(tmp_path))


def test_a_store_path_that_is_a_file_or_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file, not a directory"):
        EmbeddedDocumentStore(tmp_path / "file")
    (tmp_path / "dir" / STORE_FILE).mkdir(parents=True)
    with pytest.raises(StoreError, match="is not a file"):
        EmbeddedDocumentStore(tmp_path / "dir")


def test_a_truncated_store_gives_one_clear_error(tmp_path: Path) -> None:
    store = EmbeddedDocumentStore(tmp_path)
    write_reviews(store, REVIEWS, progress=False)
    store.close()
    for suffix in ("-wal", "-shm"):
        (tmp_path / (STORE_FILE + suffix)).unlink(missing_ok=True)
    data = (tmp_path / STORE_FILE).read_bytes()
    (tmp_path / STORE_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="re-run `reviewqa index`"):
        reopen(str(tmp_path)).filter_documents()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_store_reads_but_refuses_writes(tmp_path: Path) -> None:
    store = EmbeddedDocumentStore(tmp_path / "ro")
    write_reviews(store, REVIEWS, progress=False)
    store.close()
    (tmp_path / "ro").chmod(0o555)
    try:
        again = reopen(str(tmp_path / "ro"))
        assert again.count_documents() == len(REVIEWS)
        with pytest.raises(StoreError, match="read-only"):
            again.write_documents([Document(content="x")])
    finally:
        (tmp_path / "ro").chmod(0o755)


def _write_v1(path: Path, documents: list[Document]) -> None:
    """A store in the previous format (version 1: one npz file), as the earlier code wrote it."""
    rows = [d.to_dict(flatten=False) for d in documents]
    vectors = [r.pop("embedding") for r in rows]
    embedded = [i for i, v in enumerate(vectors) if v is not None]
    buffer = io.BytesIO()
    np.savez(
        buffer,
        header=np.frombuffer(json.dumps({"format_version": 1}).encode(), dtype=np.uint8),
        documents=np.frombuffer(json.dumps(rows).encode(), dtype=np.uint8),
        embeddings=np.asarray([vectors[i] for i in embedded], dtype=np.float32).reshape(len(embedded), -1),
        embedded_rows=np.asarray(embedded, dtype=np.int64),
    )
    path.mkdir(parents=True, exist_ok=True)
    (path / LEGACY_FILE).write_bytes(buffer.getvalue())


def test_a_version_1_store_is_migrated_once(tmp_path: Path) -> None:
    docs = [Document(id="x", content="battery good", meta={"item_id": "A"}, embedding=[1.0, 0.0])]
    docs.append(Document(id="y", content="screen bright", meta={"item_id": "A"}))
    _write_v1(tmp_path, docs)
    store = reopen(str(tmp_path))
    assert store.count_documents() == 2
    assert store.bm25_retrieval("battery", top_k=1)[0].id == "x"
    assert store.embedding_retrieval([1.0, 0.0], top_k=1)[0].id == "x"
    assert not (tmp_path / LEGACY_FILE).exists() and (tmp_path / (LEGACY_FILE + ".v1-backup")).is_file()
    assert reopen(str(tmp_path)).count_documents() == 2


def _documents(prefix: str, n: int) -> list[Document]:
    return [
        Document(id=f"{prefix}{i}", content=f"review {prefix} {i} battery", meta={"item_id": prefix}) for i in range(n)
    ]


WRITER = """
import sys
from haystack import Document
from qa.stores.embedded import EmbeddedDocumentStore
prefix, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = EmbeddedDocumentStore(sys.argv[4])
for start in range(0, n, batch):
    store.write_documents([Document(id=f"{prefix}{i}", content=f"review {prefix} {i} battery", meta={"item_id": prefix})
                           for i in range(start, min(n, start + batch))])
print("done", flush=True)
"""


def _writer(prefix: str, n: int, batch: int, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, prefix, str(n), str(batch), str(path)], cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    EmbeddedDocumentStore(tmp_path).write_documents(_documents("seed", 3))
    writers = [_writer(prefix, 600, 20, tmp_path) for prefix in ("P", "Q")]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0 and "done" in out, err
    store = reopen(str(tmp_path))
    assert store.count_documents() == 1203
    assert {d.id for d in store.filter_documents()} == {f"{p}{i}" for p in ("P", "Q") for i in range(600)} | {
        "seed0", "seed1", "seed2"
    }  # fmt: skip
    # The BM25 statistics saw every write: the ranking equals a store written by one process.
    single = EmbeddedDocumentStore(tmp_path / "single")
    single.write_documents(store.filter_documents())
    for item in ("P", "Q"):
        filters = {"field": "meta.item_id", "operator": "==", "value": item}
        assert [d.score for d in store.bm25_retrieval("review 17 battery", filters, 5)] == [
            d.score for d in single.bm25_retrieval("review 17 battery", filters, 5)
        ]


def test_kill_9_mid_write_leaves_a_store_a_rerun_completes(tmp_path: Path) -> None:
    EmbeddedDocumentStore(tmp_path)  # created, empty
    writer = _writer("K", 5_000, 50, tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and reopen(str(tmp_path)).count_documents() < 300:
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    partial = reopen(str(tmp_path)).count_documents()
    assert 0 < partial < 5_000 and partial % 50 == 0  # whole transactions only
    rerun = EmbeddedDocumentStore(tmp_path)
    present = {x.id for x in rerun.filter_documents()}
    rerun.write_documents([d for d in _documents("K", 5_000) if d.id not in present])
    assert reopen(str(tmp_path)).count_documents() == 5_000
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_pipeline_yaml_round_trip_reopens_the_saved_store(tmp_path: Path) -> None:
    from haystack import Pipeline

    from qa.config import Settings
    from qa.pipelines.definitions import retrieval_pipeline

    store = EmbeddedDocumentStore(tmp_path)
    write_reviews(store, REVIEWS, progress=False)
    yaml = retrieval_pipeline(store, Settings(data_dir=tmp_path)).dumps()
    loaded = Pipeline.loads(yaml, allowed_modules=["qa.stores.embedded", "qa.retrievers.embedded"])
    docs = loaded.run({"retriever": {"query": "autofocus", "top_k": 1}})["retriever"]["documents"]
    assert docs[0].meta["review_id"] == "b2"
