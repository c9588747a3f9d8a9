"""Filters through SQL give exactly Haystack's answers, including on rows SQL cannot judge."""

from __future__ import annotations

from pathlib import Path

import pytest
from haystack import Document
from haystack.utils.filters import document_matches_filter

from qa.stores.embedded import EmbeddedDocumentStore

DOCUMENTS = [
    Document(id="a", content="x", meta={"item_id": "A", "split": "test", "rating": 5}),
    Document(id="b", content="x", meta={"item_id": "B", "split": "train"}),
    Document(id="c", content="x", meta={"item_id": 7, "split": "test"}),  # a non-text indexed field
    Document(id="d", content="x", meta={"split": "dev"}),  # no item_id at all
    Document(id="e", content="x", meta={"item_id": "A", "split": None, "rating": 2}),
]


def eq(field: str, value: object) -> dict:
    return {"field": field, "operator": "==", "value": value}


FILTERS = [
    eq("meta.item_id", "A"),
    eq("meta.item_id", 7),
    eq("meta.item_id", None),
    {"field": "meta.item_id", "operator": "!=", "value": "A"},
    {"field": "meta.item_id", "operator": "in", "value": ["A", "B"]},
    {"field": "meta.item_id", "operator": "not in", "value": ["A"]},
    {"field": "id", "operator": "in", "value": ["a", "c", "zz"]},
    {"operator": "AND", "conditions": [eq("meta.item_id", "A"), eq("meta.split", "test")]},
    {"operator": "OR", "conditions": [eq("meta.item_id", "B"), eq("meta.split", "dev")]},
    {"operator": "NOT", "conditions": [eq("meta.item_id", "A"), eq("meta.split", "test")]},
    {"operator": "AND", "conditions": [eq("meta.item_id", "A"), {"field": "meta.rating", "operator": ">", "value": 3}]},
    {"operator": "OR", "conditions": [eq("meta.item_id", "B"), {"field": "meta.rating", "operator": "<", "value": 3}]},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedDocumentStore:
    store = EmbeddedDocumentStore(tmp_path_factory.mktemp("filters"))
    store.write_documents(DOCUMENTS)
    return store


@pytest.mark.parametrize("filters", FILTERS, ids=[str(i) for i in range(len(FILTERS))])
def test_filters_match_haystacks_semantics(store: EmbeddedDocumentStore, filters: dict) -> None:
    expected = [d.id for d in DOCUMENTS if document_matches_filter(filters, d)]
    assert [d.id for d in store.filter_documents(filters)] == expected
    assert store.count_documents_by_filter(filters) == len(expected)
    assert [d.id for d in store.bm25_retrieval("x", filters=filters, top_k=10)] == expected


def test_update_and_delete_by_filter(tmp_path: Path) -> None:
    store = EmbeddedDocumentStore(tmp_path)
    store.write_documents(DOCUMENTS)
    assert store.update_by_filter(eq("meta.item_id", "A"), {"item_id": "Z"}) == 2
    assert [d.id for d in store.filter_documents(eq("meta.item_id", "Z"))] == ["a", "e"]
    assert store.delete_by_filter(eq("meta.item_id", "Z")) == 2
    assert store.count_documents() == 3
