"""FAISS backend: the embedded store's documents, with their vectors searched by a FAISS index.

Why not a subclass of faiss-haystack's FAISSDocumentStore (and not that package at all):
- its filters are applied after the vector search (on `top_k*10` candidates), so a product-filtered
  query comes back short or empty; making it exact means replacing its search anyway;
- it pins `numpy<2` on Python < 3.13, while this project needs numpy 2 (pyarrow, transformers'
  Trainer); installing it would downgrade numpy under everything else;
- documents, meta and BM25 would be a second implementation of what `EmbeddedDocumentStore`
  already does correctly (filters before ranking, atomic persistence).
So this store *is* an `EmbeddedDocumentStore` (documents, meta, BM25 and filters unchanged, saved
atomically to `documents.rqa`) and keeps the vectors in a FAISS `IndexIDMap2` (inner product on
L2-normalised vectors = cosine, like the embedded store). Filtered search is exact: the filter runs
first, its document ids become a FAISS `IDSelectorBatch`, and only those vectors are scored, so a
product with at least `top_k` embedded reviews always returns `top_k` of them.

The FAISS index is written beside the documents (`vectors.rqa`: temporary file, fsync, rename) and
checked on load against the documents' embeddings; a missing, stale or unreadable index is rebuilt
from them. With a CUDA device and a GPU build of faiss, unfiltered searches run on the GPU.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from haystack import Document, default_from_dict, default_to_dict
from haystack.document_stores.types import DuplicatePolicy

from qa.config import DevicePreference
from qa.errors import StoreError
from qa.stores.atomic import write_atomic
from qa.stores.embedded import EmbeddedDocumentStore

VECTORS_FILE = "vectors.rqa"
VECTORS_FORMAT_VERSION = 1
IndexType = Literal["flat", "hnsw"]


def faiss_id(document_id: str) -> int:
    """The int64 FAISS id of a document id (63 bits of its SHA-256: collisions are checked)."""
    return int.from_bytes(hashlib.sha256(document_id.encode("utf-8")).digest()[:8], "big") & ((1 << 63) - 1)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class FaissDocumentStore(EmbeddedDocumentStore):
    """Embedded documents + a FAISS vector index with exact filtered search."""

    def __init__(
        self,
        path: str | Path,
        index_type: IndexType = "flat",
        device: DevicePreference = "auto",
        create: bool = True,
    ) -> None:
        import faiss

        self._faiss = faiss
        self.index_type: IndexType = index_type
        self.device: DevicePreference = device
        self._index: Any = None  # CPU IndexIDMap2, or None when no document has an embedding
        self._gpu_index: Any = None  # a GPU copy for unfiltered searches (faiss GPU build + CUDA)
        self._gpu_resources: Any = None
        self._ids: dict[int, str] = {}  # FAISS id -> document id
        self._pending: set[str] = set()  # documents whose vectors must be (re)added or removed
        self._rebuild = True
        super().__init__(path, create=create)

    @property
    def vectors_file(self) -> Path:
        """The persisted FAISS index."""
        return self.path / VECTORS_FILE

    # -- the index ---------------------------------------------------------------------------
    def _new_index(self, dim: int) -> Any:
        faiss = self._faiss
        if self.index_type == "hnsw":  # approximate, even with a selector; "flat" is exact
            inner = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        else:
            inner = faiss.IndexFlatIP(dim)
        return faiss.IndexIDMap2(inner)

    def _embedded(self, ids: list[str] | None = None) -> tuple[list[str], np.ndarray | None]:
        docs = self.storage.values() if ids is None else [self.storage[i] for i in ids if i in self.storage]
        with_vectors = [d for d in docs if d.embedding is not None]
        if not with_vectors:
            return [], None
        dims = {len(d.embedding or []) for d in with_vectors}
        if len(dims) > 1 or (self._index is not None and ids is not None and dims != {self._index.d}):
            raise StoreError(
                "The store holds embeddings of different sizes (from different models). "
                "Re-run `reviewqa index --embed` to recompute them with one model."
            )
        return [d.id for d in with_vectors], np.asarray([d.embedding for d in with_vectors], dtype=np.float32)

    def _add(self, doc_ids: list[str], vectors: np.ndarray) -> None:
        int_ids = np.asarray([faiss_id(i) for i in doc_ids], dtype=np.int64)
        for int_id, doc_id in zip(int_ids.tolist(), doc_ids, strict=True):
            if self._ids.get(int_id, doc_id) != doc_id:
                raise StoreError(f"FAISS id collision between documents {doc_id} and {self._ids[int_id]}.")
            self._ids[int_id] = doc_id
        if self._index is None:
            self._index = self._new_index(vectors.shape[1])
        self._index.add_with_ids(_normalised(vectors), int_ids)

    def _sync(self) -> None:
        """Bring the FAISS index in line with the documents' embeddings (incrementally when possible)."""
        if not self._rebuild and not self._pending:
            return
        if self._rebuild or self.index_type == "hnsw":  # HNSW cannot remove vectors: rebuild
            self._index, self._ids = None, {}
            doc_ids, vectors = self._embedded()
            if vectors is not None:
                self._add(doc_ids, vectors)
        else:
            stale = [i for i in self._pending if faiss_id(i) in self._ids]
            if stale and self._index is not None:
                self._index.remove_ids(np.asarray([faiss_id(i) for i in stale], dtype=np.int64))
                for doc_id in stale:
                    del self._ids[faiss_id(doc_id)]
            doc_ids, vectors = self._embedded(sorted(self._pending))
            if vectors is not None:
                self._add(doc_ids, vectors)
        self._pending, self._rebuild = set(), False
        self._gpu_index = self._to_gpu(self._index)

    def _to_gpu(self, index: Any) -> Any:
        faiss = self._faiss
        if index is None or self.device == "cpu" or not hasattr(faiss, "StandardGpuResources"):
            return None
        if faiss.get_num_gpus() < 1:
            return None
        from qa.device import resolve_device

        if resolve_device(self.device) != "cuda":
            return None
        if self._gpu_resources is None:  # must outlive every GPU index made with it
            self._gpu_resources = faiss.StandardGpuResources()
        return faiss.index_cpu_to_gpu(self._gpu_resources, 0, index)

    # -- retrieval -----------------------------------------------------------------------------
    def embedding_retrieval(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool | None = False,
    ) -> list[Document]:
        """The `top_k` documents closest (cosine) to the query among those matching `filters` (exact)."""
        self._sync()
        if self._index is None or self._index.ntotal == 0 or top_k < 1:
            return []
        query = _normalised(np.asarray([query_embedding], dtype=np.float32))
        if query.shape[1] != self._index.d:
            raise StoreError(
                f"The question embedding has {query.shape[1]} dimensions, the indexed reviews "
                f"{self._index.d}: they were embedded with another model. Run `reviewqa index --embed`."
            )
        faiss = self._faiss
        if filters:
            allowed = [faiss_id(d.id) for d in self.filter_documents(filters) if d.embedding is not None]
            if not allowed:
                return []
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(64, top_k))
                if self.index_type == "hnsw"
                else faiss.SearchParameters(sel=selector)
            )
            scores, labels = self._index.search(query, min(top_k, len(allowed)), params=params)
        else:
            index = self._gpu_index or self._index
            scores, labels = index.search(query, min(top_k, self._index.ntotal))
        results = []
        for score, label in zip(scores[0].tolist(), labels[0].tolist(), strict=True):
            if label < 0:
                continue
            document = self.storage[self._ids[label]]
            value = (score + 1) / 2 if scale_score else score
            results.append(replace(document, score=value, embedding=document.embedding if return_embedding else None))
        return results

    # -- mutations mark the index out of date ---------------------------------------------------
    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write documents; their vectors enter the FAISS index."""
        self._pending.update(d.id for d in documents)
        return super().write_documents(documents, policy=policy)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete documents and their vectors."""
        self._pending.update(document_ids)
        super().delete_documents(document_ids)

    def delete_all_documents(self) -> None:
        """Delete every document and vector."""
        self._rebuild = True
        super().delete_all_documents()

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete the documents matching `filters` and their vectors."""
        self._rebuild = True
        return super().delete_by_filter(filters)

    # -- persistence -----------------------------------------------------------------------------
    def save(self) -> None:
        """Write documents (embedded store) and then the FAISS index, each atomically."""
        super().save()
        self._sync()
        index = self._index if self._index is not None else self._new_index(1)
        # The documents file this index belongs to: a crash between the two renames is detected on load.
        header = {"format_version": VECTORS_FORMAT_VERSION, "index_type": self.index_type, "documents": self._stamp()}
        buffer = io.BytesIO()
        np.savez(
            buffer,
            header=np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
            index=self._faiss.serialize_index(index),
            ids=np.asarray(sorted(self._ids), dtype=np.int64),
        )
        write_atomic(self.vectors_file, buffer.getvalue())

    def _stamp(self) -> list[int]:
        stat = self.file.stat()
        return [stat.st_size, stat.st_mtime_ns]

    def _load(self) -> None:
        super()._load()
        self._rebuild = True
        if not self.vectors_file.is_file():
            return
        try:
            with np.load(self.vectors_file, allow_pickle=False) as archive:
                header = json.loads(bytes(archive["header"]).decode("utf-8"))
                index = self._faiss.deserialize_index(archive["index"])
                saved_ids = archive["ids"].tolist()
        except (OSError, ValueError, KeyError, RuntimeError):
            return  # unreadable: rebuilt from the documents' embeddings
        expected = {faiss_id(d.id): d.id for d in self.storage.values() if d.embedding is not None}
        if (
            header.get("format_version") != VECTORS_FORMAT_VERSION
            or header.get("index_type") != self.index_type
            or header.get("documents") != self._stamp()
            or set(saved_ids) != set(expected)
            or index.ntotal != len(expected)
        ):
            return  # stale (e.g. a crash between the two files): rebuilt on first search
        self._index = index if expected else None
        self._ids = expected
        self._rebuild = False
        self._gpu_index = self._to_gpu(self._index)

    def to_dict(self) -> dict[str, Any]:
        """Serialise the configuration (documents and vectors live at `path`)."""
        return default_to_dict(self, path=str(self.path), index_type=self.index_type, device=self.device)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaissDocumentStore:
        """Reopen a store from its serialised configuration."""
        return default_from_dict(cls, data)
