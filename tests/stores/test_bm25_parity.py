"""The embedded store's BM25 ranks exactly as Haystack's InMemoryDocumentStore (BM25Okapi).

Same documents written in the same order to both; for real SubjQA questions, with and without the
product filter, the top-10 ids must be identical and the scores equal to float precision.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haystack.document_stores.in_memory import InMemoryDocumentStore

from indexer.documents import review_to_document
from indexer.sources.subjqa import load_subjqa
from qa.stores.embedded import EmbeddedDocumentStore
from qa.stores.filters import review_filters


@pytest.fixture(scope="module")
def stores(subjqa_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    parts = [load_subjqa(subjqa_dir, "electronics", split) for split in ("train", "dev", "test")]
    documents = list({d.id: d for part in parts for d in map(review_to_document, part.reviews)}.values())
    stock = InMemoryDocumentStore(bm25_algorithm="BM25Okapi")
    stock.write_documents(documents)
    ours = EmbeddedDocumentStore(tmp_path_factory.mktemp("parity"))
    for start in range(0, len(documents), 256):  # several transactions, as indexing writes them
        ours.write_documents(documents[start : start + 256])
    questions = [q for part in parts[1:] for q in part.questions][:150]
    return stock, ours, questions


def _same(stock: InMemoryDocumentStore, ours: EmbeddedDocumentStore, query: str, filters, top_k: int) -> None:
    expected = stock.bm25_retrieval(query, filters=filters, top_k=top_k)
    found = ours.bm25_retrieval(query, filters=filters, top_k=top_k)
    assert [d.id for d in found] == [d.id for d in expected], query
    assert [d.score for d in found] == pytest.approx([d.score for d in expected], rel=1e-9, abs=1e-12)


def test_top10_identical_with_the_product_filter(stores) -> None:
    stock, ours, questions = stores
    for question in questions:
        _same(stock, ours, question.question, review_filters(question.item_id, question.split), 10)


def test_top10_identical_without_a_filter_and_after_deletes(stores, tmp_path: Path) -> None:
    stock, ours, questions = stores
    for question in questions[:25]:
        _same(stock, ours, question.question, None, 10)
    # Deleting updates the statistics the same way (document frequencies, lengths, vocabulary).
    victims = [d.id for d in stock.filter_documents()[::7]]
    copy = EmbeddedDocumentStore(tmp_path)
    copy.write_documents(stock.filter_documents())
    copy.delete_documents(victims)
    trimmed = InMemoryDocumentStore(bm25_algorithm="BM25Okapi")
    trimmed.write_documents(stock.filter_documents())
    trimmed.delete_documents(victims)
    for question in questions[:40]:
        _same(trimmed, copy, question.question, review_filters(question.item_id), 10)
        _same(trimmed, copy, question.question, None, 3)
