"""The embedded default store: documents, BM25 statistics and embeddings in one SQLite file.

Why SQLite (measured in `eval/bench.py`, see the README): the store before this one was Haystack's
InMemoryDocumentStore saved as one file, so every write rewrote the whole file, two processes
writing at once lost one's data, and a product-filtered BM25 query scanned every document and
recomputed the IDF of the whole vocabulary. SQLite (in the standard library, no server) gives:
- **transactions**: a write costs O(batch); a kill -9 at any point leaves the last committed state
  (write-ahead log), and a re-run completes it, because duplicates are found by id;
- **several processes**: writers take turns on SQLite's lock (waiting up to `busy_timeout_s`), so
  none loses data; readers see one committed snapshot per query;
- **indexes**: the reviews of one product are found through an index on `item_id`, and the BM25
  statistics (document frequency per term; each document's term ids, counts and length) are kept
  up to date by every write, so a filtered query touches only its product's rows.

Ranking is Haystack's BM25Okapi exactly (`qa.stores.embedded.bm25`), and the filter semantics are
Haystack's own (`document_matches_filter` decides whatever SQL cannot, see `sql_filters`). A store
in the previous single-file format (`documents.rqa`, version 1) is migrated on first open.
"""

# ruff: noqa: S608 -- SQL text is built only from constant column names and "?" placeholders;
# every value is bound as a parameter.
from __future__ import annotations

import heapq
import json
import logging
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
from haystack import Document, default_from_dict, default_to_dict
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.utils.filters import document_matches_filter

from qa.errors import StoreError
from qa.stores.embedded import bm25
from qa.stores.embedded.sql_filters import INDEXED_FIELDS, prefilter

logger = logging.getLogger(__name__)

#: The store's file inside its directory, and the format version this code reads and writes.
STORE_FILE = "documents.sqlite"
FORMAT_VERSION = 2
#: How long a writer waits for another process's write to finish before giving up.
DEFAULT_BUSY_TIMEOUT_S = 120.0
#: SQLite's limit on bound parameters is 32766 (3.32+); stay well below it.
_CHUNK = 900

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (
    row INTEGER PRIMARY KEY,      -- insertion order: BM25 ties keep it, as Haystack's dict does
    id TEXT NOT NULL UNIQUE,
    content TEXT,
    data TEXT NOT NULL,           -- the rest of Document.to_dict(flatten=False), as JSON
    embedding BLOB,               -- float32
    plain INTEGER NOT NULL,       -- 0 when an indexed meta field holds a non-text value
    doc_len INTEGER,              -- BM25 tokens (NULL without content)
    term_ids BLOB,                -- int32 ids of the distinct tokens
    term_counts BLOB,             -- int32 counts of those tokens
    {", ".join(f"m_{name} TEXT" for name in INDEXED_FIELDS)}
);
CREATE INDEX IF NOT EXISTS documents_item ON documents (m_item_id);
CREATE INDEX IF NOT EXISTS documents_embedding_model ON documents (m_embedding_model);
CREATE INDEX IF NOT EXISTS documents_not_plain ON documents (row) WHERE plain = 0;
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL);
"""
_STATS = ("generation", "documents", "bm25_documents", "total_length")
_ROW = "row, id, content, data, embedding, plain"


class EmbeddedDocumentStore:
    """A persistent, server-less document store with BM25, embedding retrieval and filters.

    Usage:
    ```python
    store = EmbeddedDocumentStore("data/store")
    store.write_documents([Document(content="The battery lasts two days.", meta={"item_id": "A"})])
    store.bm25_retrieval("battery", filters={"field": "meta.item_id", "operator": "==", "value": "A"})
    ```
    """

    def __init__(
        self,
        path: str | Path,
        bm25_algorithm: Literal["BM25Okapi"] = "BM25Okapi",
        embedding_similarity_function: Literal["dot_product", "cosine"] = "cosine",
        create: bool = True,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> None:
        """
        Open (or create) the store in a directory.

        :param path: the store's directory; the store is `<path>/documents.sqlite`.
        :param bm25_algorithm: only "BM25Okapi": Haystack's default BM25L drops documents that share
            no word with the query, so a product with 5 reviews could return fewer than `top_k`.
        :param embedding_similarity_function: "cosine" (default) or "dot_product", as in Haystack.
        :param create: create an empty store when none exists; False makes a missing store a
            StoreError that says to run `reviewqa index`.
        :param busy_timeout_s: how long a write waits for another process's write to finish.
        :raises StoreError: the store is missing (with `create=False`), unreadable, or in a newer format.
        """
        if bm25_algorithm != "BM25Okapi":
            raise StoreError(f"The embedded store ranks with BM25Okapi only, not {bm25_algorithm!r}.")
        self.path = Path(path)
        self.bm25_algorithm = bm25_algorithm
        self.embedding_similarity_function = embedding_similarity_function
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()  # one connection, shared by the threads of a server
        self._corpus: tuple[int, bm25.CorpusStats] | None = None  # (generation, stats) cache
        self._connection = self._open(create)

    @property
    def file(self) -> Path:
        """The SQLite file holding the store."""
        return self.path / STORE_FILE

    # -- opening -------------------------------------------------------------------------------
    def _open(self, create: bool) -> sqlite3.Connection:
        from qa.stores.embedded import legacy

        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"The store path {self.path} is a file, not a directory: name a directory.")
        if self.file.exists() and not self.file.is_file():
            raise StoreError(f"{self.file} is not a file: move it away and re-run `reviewqa index`.")
        old = legacy.find(self.path)
        if not self.file.exists() and old is None and not create:
            raise StoreError(f"No index found at {self.path}. Run `reviewqa index` first.")
        existing = next(p for p in (self.path, *self.path.parents) if p.exists())  # what mkdir would write in
        writable = os.access(existing, os.W_OK)
        try:
            if writable:
                self.path.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(
                    self.file, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=FULL")
            elif self.file.is_file():  # a read-only directory: read, never write
                uri = f"file:{self.file}?mode=ro&immutable=1"
                connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                raise StoreError(f"Cannot create an index in {self.path}: the directory is read-only.")
            self._connection = connection
            self._check_format(connection, writable)
        except sqlite3.Error as error:
            raise self._error(error) from error
        if old is not None and writable:
            self._migrate(old)
        return connection

    def _check_format(self, connection: sqlite3.Connection, writable: bool) -> None:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "info" not in tables:
            raise StoreError(f"{self.file} is an SQLite file but not a reviewqa store: move it away and re-index.")
        if "info" in tables:
            version = dict(connection.execute("SELECT key, value FROM info")).get("format_version")
            if version != FORMAT_VERSION:
                newer = isinstance(version, int) and version > FORMAT_VERSION
                advice = (
                    "it was written by a newer reviewqa: upgrade reviewqa, or index into another --data-dir"
                    if newer
                    else "move it away and re-run `reviewqa index`"
                )
                raise StoreError(
                    f"The index at {self.file} has format version {version}; this reviewqa reads "
                    f"version {FORMAT_VERSION}: {advice}."
                )
            return
        if not writable:
            raise StoreError(f"Cannot create an index in {self.path}: the directory is read-only.")
        with self._write() as db:
            for statement in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                db.execute(statement)
            db.executemany(
                "INSERT OR IGNORE INTO info (key, value) VALUES (?, ?)",
                [("format_version", FORMAT_VERSION), *((name, 0) for name in _STATS)],
            )

    def _migrate(self, old: Path) -> None:
        """Import a version-1 store file once (atomically), then keep it as `<name>.v1-backup`."""
        from qa.stores.embedded import legacy

        documents = legacy.read(old)
        with self._write() as db:
            done = dict(db.execute("SELECT key, value FROM info")).get("migrated_from")
            if done is None:  # another process may have migrated while this one waited
                self._insert(db, documents, DuplicatePolicy.OVERWRITE)
                db.execute("INSERT OR REPLACE INTO info (key, value) VALUES ('migrated_from', ?)", (old.name,))
        if old.exists():
            old.replace(old.with_name(old.name + ".v1-backup"))
        logger.warning("Migrated %d documents from %s to %s.", len(documents), old, self.file)

    # -- transactions ----------------------------------------------------------------------------
    def _error(self, error: sqlite3.Error) -> StoreError:
        message = str(error)
        if "locked" in message or "busy" in message:
            return StoreError(
                f"The index at {self.path} is busy: another process has been writing to it for over "
                f"{self.busy_timeout_s:.0f} s. Retry when it has finished."
            )
        if "disk is full" in message or "disk I/O" in message:
            return StoreError(f"Cannot write the index at {self.path}: {message}. Free some disk space and re-run.")
        if "readonly" in message or "read-only" in message:
            return StoreError(f"Cannot write the index at {self.path}: it is read-only ({message}).")
        if "not a database" in message or "malformed" in message or "unable to open" in message:
            return StoreError(
                f"Cannot read the index at {self.file} ({message}): move it away and re-run `reviewqa index`."
            )
        return StoreError(f"The index at {self.file} failed: {message}.")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything in the block commits together, or nothing does."""
        with self._lock:
            db = self._connection
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._error(error) from error
            try:
                yield db
                db.execute("UPDATE info SET value = value + 1 WHERE key = 'generation'")
                db.execute("COMMIT")
            except BaseException as error:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._error(error) from error
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read snapshot: every query in the block sees the same committed state."""
        with self._lock:
            db = self._connection
            try:
                db.execute("BEGIN")
                yield db
            except sqlite3.Error as error:
                raise self._error(error) from error
            finally:
                if db.in_transaction:
                    db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (the store is unusable afterwards)."""
        with self._lock:
            self._connection.close()

    # -- rows <-> documents ----------------------------------------------------------------------
    @staticmethod
    def _document(row: Sequence[Any], *, with_embedding: bool = True, score: float | None = None) -> Document:
        _, doc_id, content, data, embedding, _ = row[:6]
        fields = json.loads(data)
        fields.update(id=doc_id, content=content)
        if with_embedding and embedding is not None:
            fields["embedding"] = np.frombuffer(embedding, dtype=np.float32).tolist()
        if score is not None:
            fields["score"] = score
        return Document.from_dict(fields)

    def _candidates(
        self, db: sqlite3.Connection, filters: dict[str, Any] | None, columns: str, where: str = "1"
    ) -> Iterator[tuple[Any, ...]]:
        """Rows matching `filters` (Haystack's semantics), in insertion order; `columns` start with _ROW."""
        if filters and "operator" not in filters and "conditions" not in filters:
            raise ValueError("Invalid filter syntax. See https://docs.haystack.deepset.ai/docs/metadata-filtering.")
        narrowed = prefilter(filters)
        base = f"SELECT {columns} FROM documents WHERE ({where})"
        if narrowed is None:
            rows: Iterable[tuple[Any, ...]] = db.execute(base + " ORDER BY row")
        else:
            # Two indexed queries rather than one `plain = 0 OR ...`, which SQLite can only scan: the
            # rows the SQL matches, and the (rare) non-plain rows it did not, which Haystack decides.
            matched = db.execute(f"{base} AND ({narrowed.sql}) ORDER BY row", narrowed.params)
            others = db.execute(f"{base} AND plain = 0 AND NOT ({narrowed.sql}) ORDER BY row", narrowed.params)
            rows = heapq.merge(matched.fetchall(), others.fetchall(), key=lambda row: row[0])
        for row in rows:
            needs_check = filters and (narrowed is None or not narrowed.exact or row[5] == 0)
            if needs_check and not document_matches_filter(filters, self._document(row)):  # type: ignore[arg-type]
                continue
            yield row

    # -- the DocumentStore protocol -------------------------------------------------------------------
    def count_documents(self) -> int:
        """How many documents the store holds."""
        with self._read() as db:
            return int(db.execute("SELECT value FROM info WHERE key = 'documents'").fetchone()[0])

    def count_documents_by_filter(self, filters: dict[str, Any]) -> int:
        """How many documents match `filters` (Haystack filter syntax)."""
        with self._read() as db:
            return sum(1 for _ in self._candidates(db, filters, _ROW))

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """The documents matching `filters` (Haystack filter syntax), with their embeddings."""
        with self._read() as db:
            return [self._document(row) for row in self._candidates(db, filters, _ROW)]

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """
        Write documents in one transaction.

        :param documents: the documents to write.
        :param policy: what to do with an id already stored: FAIL (the default, as NONE), SKIP or
            OVERWRITE. On FAIL nothing of the batch is written.
        :returns: the number of documents written.
        :raises DuplicateDocumentError: with FAIL, when an id is already stored.
        """
        if (
            not isinstance(documents, Iterable)
            or isinstance(documents, str)
            or any(not isinstance(doc, Document) for doc in documents)
        ):
            raise ValueError("Please provide a list of Documents.")
        with self._write() as db:
            return self._insert(db, list(documents), policy)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete the documents with these ids (unknown ids are ignored)."""
        with self._write() as db:
            self._delete(db, document_ids)

    def delete_all_documents(self) -> None:
        """Delete every document."""
        with self._write() as db:
            db.execute("DELETE FROM documents")
            db.execute("DELETE FROM terms")
            db.executemany("UPDATE info SET value = 0 WHERE key = ?", [(k,) for k in _STATS if k != "generation"])

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete the documents matching `filters`; returns how many."""
        with self._write() as db:
            ids = [row[1] for row in self._candidates(db, filters, _ROW)]
            self._delete(db, ids)
            return len(ids)

    def update_by_filter(self, filters: dict[str, Any], meta: dict[str, Any]) -> int:
        """Merge `meta` into the meta of the documents matching `filters`; returns how many."""
        with self._write() as db:
            rows = list(self._candidates(db, filters, _ROW))
            for row in rows:
                document = self._document(row)
                document.meta.update(meta)
                data, plain, indexed = self._row_fields(document)
                db.execute(
                    f"UPDATE documents SET data = ?, plain = ?, "
                    f"{', '.join(f'm_{name} = ?' for name in INDEXED_FIELDS)} WHERE row = ?",
                    (data, plain, *indexed, row[0]),
                )
            return len(rows)

    # -- writing ----------------------------------------------------------------------------------
    @staticmethod
    def _row_fields(document: Document) -> tuple[str, int, list[str | None]]:
        fields = document.to_dict(flatten=False)
        for key in ("id", "content", "embedding"):
            fields.pop(key, None)
        values = [document.meta.get(name) for name in INDEXED_FIELDS]
        plain = int(all(v is None or isinstance(v, str) for v in values))
        indexed = [v if isinstance(v, str) else None for v in values]
        return json.dumps(fields, ensure_ascii=False), plain, indexed

    def _insert(self, db: sqlite3.Connection, documents: list[Document], policy: DuplicatePolicy) -> int:
        if policy == DuplicatePolicy.NONE:
            policy = DuplicatePolicy.FAIL
        chosen: dict[str, Document] = {}
        for document in documents:  # within a batch, as in Haystack, a later copy of an id wins or fails
            if document.id in chosen and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"ID '{document.id}' already exists.")
            if document.id in chosen and policy == DuplicatePolicy.SKIP:
                continue
            chosen[document.id] = document
        present = self._existing(db, list(chosen))
        if present and policy == DuplicatePolicy.FAIL:
            raise DuplicateDocumentError(f"ID '{next(iter(present))}' already exists.")
        if policy == DuplicatePolicy.SKIP:
            for doc_id in present:
                logger.warning("ID '%s' already exists", doc_id)
                del chosen[doc_id]
        else:
            self._delete(db, list(present))
        new = list(chosen.values())
        counts = [bm25.TermCounts.of(d.content) if d.content is not None else None for d in new]
        term_ids = self._add_terms(db, counts)
        rows = []
        for document, stats in zip(new, counts, strict=True):
            data, plain, indexed = self._row_fields(document)
            embedding = (
                np.asarray(document.embedding, dtype=np.float32).tobytes() if document.embedding is not None else None
            )
            ids = counts_blob = length = None
            if stats is not None:
                ids = np.asarray([term_ids[t] for t in stats.terms], dtype=np.int32).tobytes()
                counts_blob = np.asarray(stats.counts, dtype=np.int32).tobytes()
                length = stats.length
            rows.append((document.id, document.content, data, embedding, plain, length, ids, counts_blob, *indexed))
        columns = "id, content, data, embedding, plain, doc_len, term_ids, term_counts, " + ", ".join(
            f"m_{name}" for name in INDEXED_FIELDS
        )
        db.executemany(f"INSERT INTO documents ({columns}) VALUES ({', '.join('?' * (8 + len(INDEXED_FIELDS)))})", rows)
        with_content = [c for c in counts if c is not None]
        self._bump(
            db, documents=len(new), bm25_documents=len(with_content), total_length=sum(c.length for c in with_content)
        )
        return len(new)

    @staticmethod
    def _existing(db: sqlite3.Connection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            found.update(
                r[0] for r in db.execute(f"SELECT id FROM documents WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
            )
        return found

    @staticmethod
    def _add_terms(db: sqlite3.Connection, counts: list[bm25.TermCounts | None]) -> dict[str, int]:
        """Add each batch document's distinct tokens to the document frequencies; returns term ids."""
        frequencies = Counter(term for c in counts if c is not None for term in c.terms)
        db.executemany(
            "INSERT INTO terms (term, df) VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET df = df + excluded.df",
            frequencies.items(),
        )
        terms = list(frequencies)
        ids: dict[str, int] = {}
        for start in range(0, len(terms), _CHUNK):
            chunk = terms[start : start + _CHUNK]
            ids.update(db.execute(f"SELECT term, id FROM terms WHERE term IN ({', '.join('?' * len(chunk))})", chunk))
        return ids

    def _delete(self, db: sqlite3.Connection, document_ids: list[str]) -> None:
        documents = bm25_documents = total_length = 0
        frequencies: Counter[int] = Counter()
        for start in range(0, len(document_ids), _CHUNK):
            chunk = document_ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for length, ids in db.execute(f"SELECT doc_len, term_ids FROM documents WHERE id IN ({marks})", chunk):
                documents += 1
                if length is not None:
                    bm25_documents += 1
                    total_length += length
                    frequencies.update(np.frombuffer(ids, dtype=np.int32).tolist())
            db.execute(f"DELETE FROM documents WHERE id IN ({marks})", chunk)
        db.executemany("UPDATE terms SET df = df - ? WHERE id = ?", [(n, t) for t, n in frequencies.items()])
        self._bump(db, documents=-documents, bm25_documents=-bm25_documents, total_length=-total_length)

    @staticmethod
    def _bump(db: sqlite3.Connection, **deltas: int) -> None:
        db.executemany("UPDATE info SET value = value + ? WHERE key = ?", [(v, k) for k, v in deltas.items() if v])

    # -- retrieval --------------------------------------------------------------------------------
    def generation(self) -> int:
        """A number that changes with every committed write, by any process (for caches)."""
        with self._read() as db:
            return int(db.execute("SELECT value FROM info WHERE key = 'generation'").fetchone()[0])

    def _corpus_stats(self, db: sqlite3.Connection) -> bm25.CorpusStats:
        info = dict(db.execute("SELECT key, value FROM info"))
        if self._corpus is None or self._corpus[0] != info["generation"]:
            frequencies = np.fromiter((r[0] for r in db.execute("SELECT df FROM terms WHERE df > 0")), dtype=np.int64)
            stats = bm25.CorpusStats.of(int(info["bm25_documents"]), int(info["total_length"]), frequencies)
            self._corpus = (int(info["generation"]), stats)
        return self._corpus[1]

    def bm25_retrieval(
        self, query: str, filters: dict[str, Any] | None = None, top_k: int = 10, scale_score: bool = False
    ) -> list[Document]:
        """
        The `top_k` documents matching `filters` that BM25Okapi ranks highest for `query`.

        :param query: the query text (non-empty).
        :param filters: Haystack filters, applied before ranking.
        :param top_k: how many documents to return at most.
        :param scale_score: map raw scores into (0, 1) as Haystack does (expit(score / 8)).
        :returns: documents with their `score`, best first (ties in insertion order), no embeddings.
        """
        if not query:
            raise ValueError("Query should be a non-empty string")
        terms = bm25.query_terms(query)
        with self._read() as db:
            stats = self._corpus_stats(db)
            known: dict[str, tuple[int, int]] = {}
            for start in range(0, len(terms), _CHUNK):
                chunk = terms[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                known.update(
                    (t, (i, df))
                    for t, i, df in db.execute(f"SELECT term, id, df FROM terms WHERE term IN ({marks})", chunk)
                )
            rows = list(self._candidates(db, filters, _ROW + ", doc_len, term_ids, term_counts", "content IS NOT NULL"))
        if not rows:
            return []
        query_ids = [known[t][0] if t in known else -1 for t in terms]
        query_idf = [stats.idf(known[t][1]) if t in known else 0.0 for t in terms]
        frequencies = _frequencies(rows, query_ids)
        lengths = np.fromiter((row[6] for row in rows), dtype=np.float64, count=len(rows))
        scores = bm25.okapi_scores(stats, query_idf, frequencies, lengths)
        results = []
        for position in bm25.rank(scores, top_k):
            score = float(scores[position])
            if scale_score:
                score = float(1 / (1 + np.exp(-score / bm25.SCALING_FACTOR)))
            results.append(self._document(rows[position], with_embedding=False, score=score))
        return results

    def embedding_retrieval(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool | None = False,
    ) -> list[Document]:
        """
        The `top_k` embedded documents matching `filters` most similar to `query_embedding`.

        :param query_embedding: the query's vector.
        :param filters: Haystack filters, applied before ranking (exact: every match is scored).
        :param top_k: how many documents to return at most.
        :param scale_score: cosine to (s + 1) / 2, dot product to expit(s / 100), as Haystack does.
        :param return_embedding: keep the documents' embeddings in the results.
        :returns: documents with their `score`, best first.
        """
        if len(query_embedding) == 0 or not isinstance(query_embedding[0], float):
            raise ValueError("query_embedding should be a non-empty list of floats.")
        with self._read() as db:
            rows = list(self._candidates(db, filters, _ROW, "embedding IS NOT NULL"))
        if not rows:
            return []
        vectors = embedding_matrix(row[4] for row in rows)
        query = np.asarray(query_embedding, dtype=np.float64)
        if vectors.shape[1] != query.shape[0]:
            raise StoreError(
                f"The question embedding has {query.shape[0]} dimensions, the indexed reviews "
                f"{vectors.shape[1]}: they were embedded with another model. Run `reviewqa index --embed`."
            )
        if self.embedding_similarity_function == "cosine":
            query = query / (np.linalg.norm(query) or 1.0)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms == 0.0, 1.0, norms)
        scores = vectors @ query
        if scale_score:
            if self.embedding_similarity_function == "cosine":
                scores = (scores + 1) / 2
            else:
                scores = 1 / (1 + np.exp(-scores / 100))
        return [
            self._document(rows[i], with_embedding=bool(return_embedding), score=float(scores[i]))
            for i in bm25.rank(scores, top_k)
        ]

    def embeddings(self) -> tuple[list[str], np.ndarray | None]:
        """Every embedded document's id and its vector (one row each), in insertion order."""
        with self._read() as db:
            rows = db.execute("SELECT id, embedding FROM documents WHERE embedding IS NOT NULL ORDER BY row").fetchall()
        if not rows:
            return [], None
        return [r[0] for r in rows], embedding_matrix(r[1] for r in rows).astype(np.float32)

    # -- serialisation (pipelines loaded from YAML reopen the same directory) ------------------------
    def to_dict(self) -> dict[str, Any]:
        """Serialise the store's configuration (not its documents: they live at `path`)."""
        return default_to_dict(
            self,
            path=str(self.path),
            bm25_algorithm=self.bm25_algorithm,
            embedding_similarity_function=self.embedding_similarity_function,
            busy_timeout_s=self.busy_timeout_s,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddedDocumentStore:
        """Reopen a store from its serialised configuration."""
        return default_from_dict(cls, data)


def embedding_matrix(blobs: Iterable[bytes]) -> np.ndarray:
    """Stack stored float32 vectors; vectors of different sizes are a StoreError (mixed models)."""
    vectors = [np.frombuffer(blob, dtype=np.float32) for blob in blobs]
    if len({v.shape[0] for v in vectors}) > 1:
        raise StoreError(
            "The store holds embeddings of different sizes (from different models). "
            "Re-run `reviewqa index --embed` to recompute them with one model."
        )
    return np.vstack(vectors).astype(np.float64)


def _frequencies(rows: list[tuple[Any, ...]], query_ids: list[int]) -> np.ndarray:
    """Shape (rows, query terms): how often each query term occurs in each candidate row."""
    frequencies = np.zeros((len(rows), len(query_ids)), dtype=np.float64)
    wanted = {term_id: column for column, term_id in enumerate(query_ids) if term_id >= 0}
    if not wanted:
        return frequencies
    ids = [np.frombuffer(row[7], dtype=np.int32) for row in rows]
    counts = [np.frombuffer(row[8], dtype=np.int32) for row in rows]
    all_ids = np.concatenate(ids)
    owner = np.repeat(np.arange(len(rows)), [a.size for a in ids])
    keys = np.fromiter(wanted, dtype=np.int32)
    mask = np.isin(all_ids, keys)
    columns = np.fromiter((wanted[t] for t in all_ids[mask].tolist()), dtype=np.int64)
    frequencies[owner[mask], columns] = np.concatenate(counts)[mask]
    return frequencies
