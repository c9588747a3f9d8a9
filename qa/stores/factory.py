"""Opens the document store a Settings object names (one place for every backend)."""

from __future__ import annotations

from typing import Any

from haystack.document_stores.types import DocumentStore

from qa.config import Settings
from qa.errors import StoreError
from qa.stores.embedded import EmbeddedDocumentStore
from qa.stores.labels import LabelStore


def open_store(settings: Settings, *, create: bool = True) -> DocumentStore:
    """The document store of `settings`; with `create=False` a missing index is a StoreError."""
    if settings.store.backend == "embedded":
        return EmbeddedDocumentStore(settings.store_dir, create=create)
    if settings.store.backend == "faiss":
        # Same directory and documents file as the embedded store, plus the FAISS index beside it.
        from qa.stores.faiss_store import FaissDocumentStore

        return FaissDocumentStore(settings.store_dir, device=settings.device, create=create)
    if settings.store.backend == "elasticsearch":
        from qa.stores.elasticsearch import open_elasticsearch

        return open_elasticsearch(settings.store.es_url, settings.store.es_index)
    raise StoreError(f"Unknown store backend {settings.store.backend!r}: use embedded, faiss or elasticsearch.")


def open_labels(settings: Settings) -> LabelStore:
    """The gold-label store beside the index."""
    return LabelStore(settings.labels_dir)


def count_matching(store: DocumentStore, filters: dict[str, Any] | None) -> int:
    """How many documents match `filters`, by the backend's own count where it has one (no transfer)."""
    if filters is None:
        return store.count_documents()
    counter = getattr(store, "count_documents_by_filter", None)  # not in Haystack's DocumentStore protocol
    return int(counter(filters)) if counter is not None else len(store.filter_documents(filters))
