"""Every retriever on the embedded and the FAISS store: product/split filters before ranking, top_k."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from qa.config import Settings
from qa.types import LoadReport, Review
from tests.retrievers.conftest import PER_PRODUCT

BACKENDS = ("embedded", "faiss")
RETRIEVERS = ("bm25", "embedding", "dpr", "hybrid")


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory, review_slice: list[Review], tiny_dpr_dir: Path) -> dict:
    """One facade per (backend, retriever); stores are indexed once per (backend, dense encoder)."""
    from qa.api import ReviewQA

    root = tmp_path_factory.mktemp("retrievers")
    out = {}
    for backend in BACKENDS:
        for retriever in RETRIEVERS:
            dense = "dpr" if retriever == "dpr" else "embedding"
            settings = Settings(
                data_dir=root / f"{backend}-{dense}",
                store_backend=backend,  # type: ignore[arg-type]
                retriever=retriever,  # type: ignore[arg-type]
                dpr_query_model=str(tiny_dpr_dir),
                dpr_document_model=str(tiny_dpr_dir),
                hybrid_candidates=4,  # smaller than top_k below: the branches must still fetch top_k
                device="cpu",
            )
            api = ReviewQA(settings)
            api.index_reviews(review_slice, source="slice", load=LoadReport(), progress=False)
            out[backend, retriever] = api
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("retriever", RETRIEVERS)
def test_filtered_top_k(apis: dict, review_slice: list[Review], backend: str, retriever: str) -> None:
    api = apis[backend, retriever]
    products = [item for item, _ in Counter(r.item_id for r in review_slice if r.split == "test").most_common()]
    for item in products[:2]:
        for top_k in (1, PER_PRODUCT):
            found = api.retrieve("Is the sound quality good?", item_id=item, split="test", top_k=top_k)
            assert len(found) == top_k, (item, top_k)  # the product has PER_PRODUCT test reviews
            assert all(r.review.item_id == item and r.review.split == "test" for r in found)
            assert len({r.document_id for r in found}) == top_k
        more = api.retrieve("Is the sound quality good?", item_id=item, split="test", top_k=PER_PRODUCT + 5)
        assert len(more) == PER_PRODUCT  # never another product's or split's review to fill up


@pytest.mark.parametrize("retriever", ("embedding", "hybrid"))
def test_faiss_and_embedded_agree(apis: dict, review_slice: list[Review], retriever: str) -> None:
    item = review_slice[0].item_id
    question = "How is the battery life?"
    embedded = apis["embedded", retriever].retrieve(question, item_id=item, split="test", top_k=5)
    faiss = apis["faiss", retriever].retrieve(question, item_id=item, split="test", top_k=5)
    assert [r.document_id for r in embedded] == [r.document_id for r in faiss]
    assert [round(r.score, 4) for r in embedded] == [round(r.score, 4) for r in faiss]


def test_dense_retrieval_finds_the_obvious_review(apis: dict, review_slice: list[Review]) -> None:
    target = review_slice[1]
    question = target.text[:120]  # a question quoting a review must retrieve that review first
    for backend in BACKENDS:
        found = apis[backend, "embedding"].retrieve(question, item_id=target.item_id, split="test", top_k=3)
        assert found[0].review.review_id == target.review_id


def test_hybrid_fuses_bm25_and_dense_by_reciprocal_rank(apis: dict) -> None:
    retriever = apis["embedded", "hybrid"].pipeline("retrieval").get_component("retriever")
    inner = retriever.pipeline
    assert {"bm25", "query_embedder", "dense", "joiner"} <= set(inner.graph.nodes)
    assert inner.get_component("joiner").join_mode.value == "reciprocal_rank_fusion"


def test_hybrid_weight_one_gives_bm25_and_zero_the_dense_ranking(apis: dict, review_slice: list[Review]) -> None:
    from qa.api import ReviewQA

    hybrid = apis["embedded", "hybrid"].settings
    item = Counter(r.item_id for r in review_slice if r.split == "test").most_common(1)[0][0]
    question = "Does the battery last long enough?"

    def ranking(api: ReviewQA) -> list[str]:
        return [r.document_id for r in api.retrieve(question, item_id=item, split="test", top_k=PER_PRODUCT)]

    bm25, dense = ranking(apis["embedded", "bm25"]), ranking(apis["embedded", "embedding"])
    assert bm25 != dense  # otherwise the test could not tell the lists apart
    assert ranking(ReviewQA(hybrid.with_overrides(hybrid_bm25_weight=1.0))) == bm25
    assert ranking(ReviewQA(hybrid.with_overrides(hybrid_bm25_weight=0.0))) == dense


def test_a_hybrid_weight_outside_zero_one_is_refused() -> None:
    from qa.errors import DataError

    with pytest.raises(DataError, match="hybrid BM25 weight"):
        Settings(hybrid_bm25_weight=1.5)
    with pytest.raises(DataError, match="must be a number"):
        Settings.from_env({"REVIEWQA_HYBRID_BM25_WEIGHT": "lots"})
