"""The write step: reviews into a document store, in batches, with a progress bar.

Ids are deterministic, so documents already in the store are left untouched (their embeddings
are kept) and indexing the same data twice writes nothing new.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from haystack.document_stores.types import DocumentStore, DuplicatePolicy
from tqdm.auto import tqdm

from indexer.documents import review_to_document
from qa.types import Review


@dataclass(frozen=True)
class WriteReport:
    """How many reviews were offered, newly written, and already present."""

    offered: int
    written: int
    already_present: int


def _batches(items: Sequence[Review], size: int) -> Iterator[Sequence[Review]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_reviews(
    store: DocumentStore, reviews: Sequence[Review], *, batch_size: int = 256, progress: bool = True
) -> WriteReport:
    """Write `reviews` as documents; existing ids are skipped, so re-indexing is idempotent."""
    written = present = 0
    # One write transaction per chunk: an interrupted run keeps the chunks written, and a re-run
    # skips them (ids are deterministic), so it completes without duplicates.
    with tqdm(total=len(reviews), desc="Indexing reviews", unit="review", disable=not progress) as bar:
        for chunk in _batches(reviews, batch_size):
            documents = {doc.id: doc for doc in map(review_to_document, chunk)}
            existing = {
                doc.id for doc in store.filter_documents({"field": "id", "operator": "in", "value": list(documents)})
            }
            new = [doc for doc_id, doc in documents.items() if doc_id not in existing]
            if new:
                written += store.write_documents(new, policy=DuplicatePolicy.FAIL)
            present += len(existing)
            bar.update(len(chunk))
    return WriteReport(offered=len(reviews), written=written, already_present=present)
