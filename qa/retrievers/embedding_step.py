"""The embed step: review embeddings for dense retrieval, computed once per model.

Only reviews without an embedding, or whose `meta.embedding_model` names another encoder, are
embedded (in batches, with a progress bar); each batch is written back at once, so an interrupted
run resumes where it stopped and re-indexing recomputes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from haystack import Document
from haystack.document_stores.types import DocumentStore, DuplicatePolicy
from tqdm.auto import tqdm

from qa.config import Settings
from qa.retrievers.encoder_models import Encoder
from qa.stores.factory import count_matching

#: Meta field naming the encoder that produced a document's embedding.
EMBEDDING_MODEL_FIELD = "embedding_model"
#: Reviews embedded and written back per step (one save of the embedded store per step).
WRITE_EVERY = 512


@dataclass(frozen=True)
class EmbedReport:
    """How many reviews the store holds, how many were embedded now, and with which encoder."""

    total: int
    embedded: int
    already_embedded: int
    model: str
    seconds: float = 0.0


def needs_embedding(document: Document, identity: str) -> bool:
    """True when the document has no embedding from the encoder `identity`."""
    return document.embedding is None or document.meta.get(EMBEDDING_MODEL_FIELD) != identity


def embed_documents(
    store: DocumentStore,
    encoder: Encoder,
    settings: Settings,
    *,
    filters: dict[str, Any] | None = None,
    progress: bool = True,
    embedder: Any = None,
) -> EmbedReport:
    """Embed the reviews (matching `filters`) that lack an embedding from `encoder`."""
    import time

    identity = encoder.identity
    # Only the reviews lacking this encoder's vectors are read (an indexed query in the embedded
    # store), so a fully embedded store costs two counts, not a scan of every embedding.
    stale = {"field": f"meta.{EMBEDDING_MODEL_FIELD}", "operator": "!=", "value": identity}
    wanted = stale if filters is None else {"operator": "AND", "conditions": [filters, stale]}
    total = count_matching(store, filters)
    todo = [d for d in store.filter_documents(wanted) if needs_embedding(d, identity)]
    started = time.perf_counter()
    if todo:
        # Imported here: sentence-transformers costs 5-6 s to import, which BM25-only runs never need.
        from qa.retrievers.encoders import document_embedder

        embedder = embedder or document_embedder(encoder, settings, progress=False)
        if hasattr(embedder, "warm_up"):
            embedder.warm_up()
        with tqdm(total=len(todo), desc="Embedding reviews", unit="review", disable=not progress) as bar:
            for start in range(0, len(todo), WRITE_EVERY):
                chunk = todo[start : start + WRITE_EVERY]
                embedded = embedder.run(documents=chunk)["documents"]
                store.write_documents(
                    [replace(d, meta={**d.meta, EMBEDDING_MODEL_FIELD: identity}) for d in embedded],
                    policy=DuplicatePolicy.OVERWRITE,
                )
                bar.update(len(chunk))
    if hasattr(store, "build_vector_index"):  # FAISS: index the new vectors now, not on the first question
        store.build_vector_index()
    return EmbedReport(
        total=total,
        embedded=len(todo),
        already_embedded=total - len(todo),
        model=identity,
        seconds=time.perf_counter() - started,
    )
