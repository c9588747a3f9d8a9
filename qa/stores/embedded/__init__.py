"""The embedded default store (SQLite, no server) and its retrievers' scoring."""

from qa.stores.embedded.document_store import FORMAT_VERSION, STORE_FILE, EmbeddedDocumentStore

__all__ = ["FORMAT_VERSION", "STORE_FILE", "EmbeddedDocumentStore"]
