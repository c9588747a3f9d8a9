"""The embedded default store: Haystack's InMemoryDocumentStore, persisted safely to a directory.

Why a subclass: InMemoryDocumentStore already filters before BM25 and embedding ranking (the part
that matters), but its `save_to_disk` writes JSON in place (a crash leaves a half-written file),
has no format version, and stores embeddings as JSON text. This class adds exactly that:
- one file `<dir>/documents.rqa` (an `.npz` archive: documents as JSON, embeddings as float32);
- written to a temporary file in the same directory, fsynced, then renamed over the old one;
- a format version checked on load;
- every mutation is saved at once, or at the end of a `batch()` block for bulk writes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
from haystack import Document, default_from_dict, default_to_dict
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DuplicatePolicy

from qa.errors import StoreError
from qa.stores.atomic import write_atomic

FORMAT_VERSION = 1
STORE_FILE = "documents.rqa"


class EmbeddedDocumentStore(InMemoryDocumentStore):
    """A persistent, server-less document store with BM25, embedding retrieval and filters."""

    def __init__(
        self,
        path: str | Path,
        bm25_algorithm: Literal["BM25Okapi", "BM25L", "BM25Plus"] = "BM25Okapi",
        embedding_similarity_function: Literal["dot_product", "cosine"] = "cosine",
        create: bool = True,
    ) -> None:
        # BM25Okapi, not the library default BM25L: BM25L drops documents sharing no word with the
        # query, so a product with 5 reviews could return fewer than top_k of them.
        super().__init__(
            bm25_algorithm=bm25_algorithm,
            embedding_similarity_function=embedding_similarity_function,
            shared=False,
        )
        self.path = Path(path)
        self._defer_depth = 0
        self._dirty = False
        if self.file.is_file():
            self._load()
        elif not create:
            raise StoreError(f"No index found at {self.path}. Run `reviewqa index` first.")

    @property
    def file(self) -> Path:
        """The single file holding the whole store."""
        return self.path / STORE_FILE

    # -- persistence -------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            with np.load(self.file, allow_pickle=False) as archive:
                header = json.loads(bytes(archive["header"]).decode("utf-8"))
                documents = json.loads(bytes(archive["documents"]).decode("utf-8"))
                embeddings = archive["embeddings"]
                embedded_rows = archive["embedded_rows"]
        except (OSError, ValueError, KeyError) as error:
            raise StoreError(f"Cannot read the index at {self.file}: {error}") from error
        if header.get("format_version") != FORMAT_VERSION:
            raise StoreError(
                f"The index at {self.file} has format version {header.get('format_version')}, "
                f"this reviewqa reads version {FORMAT_VERSION}. Re-run `reviewqa index`."
            )
        for row, vector in zip(embedded_rows.tolist(), embeddings, strict=True):
            documents[row]["embedding"] = vector.tolist()
        # Bypass our own write_documents: loading must not trigger a save.
        super().write_documents([Document.from_dict(d) for d in documents], policy=DuplicatePolicy.OVERWRITE)

    def save(self) -> None:
        """Write the whole store atomically (temporary file, fsync, rename)."""
        self.path.mkdir(parents=True, exist_ok=True)
        documents: list[dict[str, Any]] = []
        vectors: list[list[float]] = []
        embedded_rows: list[int] = []
        for row, document in enumerate(self.storage.values()):
            data = document.to_dict(flatten=False)
            embedding = data.pop("embedding", None)
            if embedding is not None:
                vectors.append(embedding)
                embedded_rows.append(row)
            documents.append(data)
        dim = len(vectors[0]) if vectors else 0
        header = {"format_version": FORMAT_VERSION, "count": len(documents), "embedding_dim": dim}
        buffer = io.BytesIO()
        np.savez(
            buffer,
            header=np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
            documents=np.frombuffer(json.dumps(documents, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
            embeddings=np.asarray(vectors, dtype=np.float32).reshape(len(vectors), dim),
            embedded_rows=np.asarray(embedded_rows, dtype=np.int64),
        )
        write_atomic(self.file, buffer.getvalue())
        self._dirty = False

    @contextmanager
    def batch(self) -> Iterator[EmbeddedDocumentStore]:
        """Defer saving until the block ends (one save for many writes); nothing is saved on error."""
        self._defer_depth += 1
        try:
            yield self
        finally:
            self._defer_depth -= 1
        if self._defer_depth == 0 and self._dirty:
            self.save()

    @contextmanager
    def _mutation(self) -> Iterator[None]:
        # The parent's mutators call each other (write -> delete on overwrite): save once, at the end.
        with self.batch():
            yield
            self._dirty = True

    # -- mutations save themselves -----------------------------------------------------------
    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write documents (see InMemoryDocumentStore) and persist them."""
        with self._mutation():
            return super().write_documents(documents, policy=policy)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete documents by id and persist the change."""
        with self._mutation():
            super().delete_documents(document_ids)

    def delete_all_documents(self) -> None:
        """Delete every document and persist the change."""
        with self._mutation():
            super().delete_all_documents()

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete the documents matching `filters` and persist the change."""
        with self._mutation():
            return super().delete_by_filter(filters)

    def update_by_filter(self, filters: dict[str, Any], meta: dict[str, Any]) -> int:
        """Update meta of the documents matching `filters` and persist the change."""
        with self._mutation():
            return super().update_by_filter(filters, meta)

    # -- serialisation (pipelines loaded from YAML reopen the same directory) ------------------
    def to_dict(self) -> dict[str, Any]:
        """Serialise the store's configuration (not its documents: they live at `path`)."""
        return default_to_dict(
            self,
            path=str(self.path),
            bm25_algorithm=self.bm25_algorithm,
            embedding_similarity_function=self.embedding_similarity_function,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddedDocumentStore:
        """Reopen a store from its serialised configuration (loading its documents from disk)."""
        return default_from_dict(cls, data)
