"""The Python API on the real electronics index with the tiny reader."""

from __future__ import annotations

import pytest

from qa.api import ReviewQA
from qa.config import Settings
from qa.errors import QueryError
from qa.stores.factory import open_labels

PRODUCT = "B0074BW614"  # a Kindle Fire HD with many reviews in electronics


@pytest.fixture(scope="module")
def api(qa_settings: Settings) -> ReviewQA:
    return ReviewQA(qa_settings)


def test_index_holds_every_electronics_review_once(api: ReviewQA) -> None:
    assert api.count() == 1265 + 252 + 358
    assert api.count(split="test") == 358
    assert sorted(open_labels(api.settings).available()) == [
        ("electronics", "dev"),
        ("electronics", "test"),
        ("electronics", "train"),
    ]


def test_reindexing_leaves_counts_unchanged(api: ReviewQA, subjqa_dir) -> None:
    before = api.count()
    summaries = api.index_subjqa(["electronics"], source_dir=subjqa_dir, splits=["test"], progress=False)
    assert summaries[0].write.written == 0 and summaries[0].write.already_present == 358
    assert api.count() == before


def test_ask_answers_from_the_products_own_reviews(api: ReviewQA) -> None:
    result = api.ask("Is it good for reading?", item_id=PRODUCT, top_k_retriever=3, top_k_reader=3)
    assert len(result.reviews) == 3
    assert all(r.review.item_id == PRODUCT for r in result.reviews)
    spans = [a for a in result.answers if not a.is_no_answer]
    assert spans and sum(a.is_no_answer for a in result.answers) == 1
    for answer in spans:
        assert answer.review is not None and answer.review.item_id == PRODUCT
        assert answer.review.text[answer.start : answer.end] == answer.text
        assert answer.text in answer.context()


def test_split_filter_applies(api: ReviewQA) -> None:
    item = next(iter(api.products(split="test")))
    reviews = api.retrieve("battery", item_id=item, split="test", top_k=50)
    assert reviews and all(r.review.split == "test" and r.review.item_id == item for r in reviews)
    assert len(reviews) == api.count(item_id=item, split="test")  # every review of the product is returned


@pytest.mark.parametrize(
    ("question", "item", "message"),
    [
        ("", PRODUCT, "empty"),
        ("   \n ", PRODUCT, "empty"),
        ("why " * 2500, PRODUCT, "limit"),
        ("Is it good?", "B0074BW61X", "Did you mean B0074BW614"),
        ("Is it good?", "nothing-like-this", "No reviews of product"),
    ],
)
def test_bad_questions_are_clear_errors(api: ReviewQA, question: str, item: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        api.ask(question, item_id=item)
