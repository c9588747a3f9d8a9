"""FAISS backend: the embedded store's documents, with their vectors searched by a FAISS index.

Why not a subclass of faiss-haystack's FAISSDocumentStore (and not that package at all):
- its filters are applied after the vector search (on `top_k*10` candidates), so a product-filtered
  query comes back short or empty; making it exact means replacing its search anyway;
- it pins `numpy<2` on Python < 3.13, while this project needs numpy 2 (pyarrow, transformers'
  Trainer); installing it would downgrade numpy under everything else;
- documents, meta and BM25 would be a second implementation of what `EmbeddedDocumentStore`
  already does correctly (filters before ranking, transactions, several processes).
So this store *is* an `EmbeddedDocumentStore` (documents, meta, BM25, filters and embeddings in
its SQLite file) and keeps a FAISS `IndexIDMap2` of the vectors (inner product on L2-normalised
vectors = cosine, like the embedded store) as a cache of them. Filtered search is exact: the filter
runs first, its document ids become a FAISS `IDSelectorBatch`, and only those vectors are scored,
so a product with at least `top_k` embedded reviews always returns `top_k` of them.

The FAISS index is a cache keyed by the store's generation (which every committed write, by any
process, changes): a search after a write rebuilds it from the stored embeddings and writes it
beside the documents (`vectors.rqa`: temporary file, fsync, rename); a missing, stale or unreadable
file is rebuilt. With a CUDA device and a GPU build of faiss, unfiltered searches run on the GPU.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
from haystack import Document, default_from_dict, default_to_dict

from qa.config import DevicePreference
from qa.errors import StoreError
from qa.stores.atomic import write_atomic
from qa.stores.embedded import EmbeddedDocumentStore
from qa.stores.embedded.document_store import DEFAULT_BUSY_TIMEOUT_S

logger = logging.getLogger(__name__)

VECTORS_FILE = "vectors.rqa"
VECTORS_FORMAT_VERSION = 2
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
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> None:
        """
        Open (or create) the store in a directory.

        :param path: the store's directory (documents in `documents.sqlite`, vectors in `vectors.rqa`).
        :param index_type: "flat" (exact) or "hnsw" (approximate, even within a filter).
        :param device: "auto", "cpu" or "cuda": unfiltered searches use a GPU copy on CUDA.
        :param create: create an empty store when none exists (else a StoreError).
        :param busy_timeout_s: how long a write waits for another process's write to finish.
        """
        import faiss

        self._faiss = faiss
        self.index_type: IndexType = index_type
        self.device: DevicePreference = device
        self._index: Any = None  # CPU IndexIDMap2, or None when no document has an embedding
        self._gpu_index: Any = None  # a GPU copy for unfiltered searches (faiss GPU build + CUDA)
        self._gpu_resources: Any = None
        self._ids: dict[int, str] = {}  # FAISS id -> document id
        self._built_for: int | None = None  # the store generation the index reflects
        super().__init__(path, create=create, busy_timeout_s=busy_timeout_s)
        self._load_vectors()

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

    def build_vector_index(self) -> None:
        """Build (and save) the FAISS index now, e.g. after embedding, instead of on the first search."""
        self._sync()

    def _sync(self) -> None:
        """Rebuild the FAISS index from the stored embeddings when the store changed since."""
        generation = self.generation()
        if self._built_for == generation:
            return
        doc_ids, vectors = self.embeddings()
        self._index, self._ids = None, {}
        if vectors is not None:
            int_ids = np.asarray([faiss_id(i) for i in doc_ids], dtype=np.int64)
            for int_id, doc_id in zip(int_ids.tolist(), doc_ids, strict=True):
                if self._ids.get(int_id, doc_id) != doc_id:
                    raise StoreError(f"FAISS id collision between documents {doc_id} and {self._ids[int_id]}.")
                self._ids[int_id] = doc_id
            self._index = self._new_index(vectors.shape[1])
            self._index.add_with_ids(_normalised(vectors), int_ids)
        self._built_for = generation
        self._gpu_index = self._to_gpu(self._index)
        self._save_vectors()

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
        """
        The `top_k` documents closest (cosine) to the query among those matching `filters` (exact).

        :param query_embedding: the query's vector.
        :param filters: Haystack filters, applied before the search.
        :param top_k: how many documents to return at most.
        :param scale_score: map cosine s to (s + 1) / 2.
        :param return_embedding: keep the documents' embeddings in the results.
        :returns: documents with their `score`, best first.
        """
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
        hits = [
            (self._ids[label], score)
            for score, label in zip(scores[0].tolist(), labels[0].tolist(), strict=True)
            if label >= 0
        ]
        found = {
            d.id: d for d in self.filter_documents({"field": "id", "operator": "in", "value": [h[0] for h in hits]})
        }
        results = []
        for doc_id, score in hits:
            if doc_id not in found:  # deleted by another process since the index was built
                continue
            fields = found[doc_id].to_dict()
            fields["score"] = (score + 1) / 2 if scale_score else score
            if not return_embedding:
                fields["embedding"] = None
            results.append(Document.from_dict(fields))
        return results

    # -- persistence -----------------------------------------------------------------------------
    def _save_vectors(self) -> None:
        index = self._index if self._index is not None else self._new_index(1)
        header = {
            "format_version": VECTORS_FORMAT_VERSION,
            "index_type": self.index_type,
            "generation": self._built_for,
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            header=np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
            index=self._faiss.serialize_index(index),
            ids=np.asarray(sorted(self._ids), dtype=np.int64),
            doc_ids=np.frombuffer(
                json.dumps([self._ids[i] for i in sorted(self._ids)]).encode("utf-8"), dtype=np.uint8
            ),
        )
        try:
            write_atomic(self.vectors_file, buffer.getvalue())
        except OSError as error:  # only a cache: searching goes on, the next process rebuilds it
            logger.warning("Cannot save the vector index %s (%s); it is rebuilt when needed.", self.vectors_file, error)

    def _load_vectors(self) -> None:
        if not self.vectors_file.is_file():
            return
        try:
            with np.load(self.vectors_file, allow_pickle=False) as archive:
                header = json.loads(bytes(archive["header"]).decode("utf-8"))
                index = self._faiss.deserialize_index(archive["index"])
                saved_ids = archive["ids"].tolist()
                doc_ids = json.loads(bytes(archive["doc_ids"]).decode("utf-8"))
        except (OSError, ValueError, KeyError, RuntimeError, UnicodeDecodeError):
            return  # unreadable: rebuilt from the stored embeddings on the first search
        if (
            header.get("format_version") != VECTORS_FORMAT_VERSION
            or header.get("index_type") != self.index_type
            or header.get("generation") != self.generation()
            or index.ntotal != len(saved_ids)
        ):
            return  # stale: rebuilt on the first search
        self._ids = dict(zip(saved_ids, doc_ids, strict=True))
        self._index = index if saved_ids else None
        self._built_for = header["generation"]
        self._gpu_index = self._to_gpu(self._index)

    def to_dict(self) -> dict[str, Any]:
        """Serialise the configuration (documents and vectors live at `path`)."""
        return default_to_dict(
            self,
            path=str(self.path),
            index_type=self.index_type,
            device=self.device,
            busy_timeout_s=self.busy_timeout_s,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaissDocumentStore:
        """Reopen a store from its serialised configuration."""
        return default_from_dict(cls, data)
