"""Opens the document store a Settings object names (one place for every backend)."""

from __future__ import annotations

from haystack.document_stores.types import DocumentStore

from qa.config import Settings
from qa.errors import StoreError
from qa.stores.embedded import EmbeddedDocumentStore
from qa.stores.labels import LabelStore


def open_store(settings: Settings, *, create: bool = True) -> DocumentStore:
    """The document store of `settings`; with `create=False` a missing index is a StoreError."""
    if settings.store_backend == "embedded":
        return EmbeddedDocumentStore(settings.store_dir, create=create)
    raise StoreError(f"Unknown store backend {settings.store_backend!r}.")


def open_labels(settings: Settings) -> LabelStore:
    """The gold-label store beside the index."""
    return LabelStore(settings.labels_dir)
