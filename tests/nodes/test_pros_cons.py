"""Pros and cons: the extractive reader over all reviews of a product, answers traced to their reviews."""

from __future__ import annotations

from haystack import Pipeline

from qa.api import ReviewQA
from qa.nodes.pros_cons import ProsConsExtractor
from qa.nodes.sentiment import SentimentClassifier
from qa.nodes.types import ProsCons
from tests.nodes.conftest import HEADSET, distinct_reviews


def test_pros_and_cons_come_from_the_products_reviews(reader_api: ReviewQA) -> None:
    report = reader_api.analyze(HEADSET, "pros-cons")
    assert isinstance(report, ProsCons)
    assert report.reviews == distinct_reviews(reader_api, HEADSET)
    found = report.pros + report.cons
    assert found, "the reader found neither pros nor cons"
    for aspect in found:
        assert aspect.support == len({e.review.review_id for e in aspect.evidence}) >= 1
        for evidence in aspect.evidence:
            assert evidence.review.item_id == HEADSET and evidence.review.review_id
            assert evidence.start is not None and evidence.end is not None
            assert evidence.review.text[evidence.start : evidence.end].strip()
    vader = SentimentClassifier()
    assert all(s.label != "negative" for s in vader.classify([a.text for a in report.pros]))
    assert all(s.label != "positive" for s in vader.classify([a.text for a in report.cons]))
    keys = [a.text.lower() for a in report.pros]
    assert len(keys) == len(set(keys))


def test_pros_cons_component_serialises_with_its_reader(reader_api: ReviewQA) -> None:
    pipeline = Pipeline()
    pipeline.add_component(
        "pros_cons",
        ProsConsExtractor(reader=reader_api.reader, answers_per_question=5, sentiment=SentimentClassifier()),
    )
    restored = Pipeline.loads(pipeline.dumps(), allowed_modules=["qa.nodes", "qa.readers"]).get_component("pros_cons")
    assert isinstance(restored, ProsConsExtractor)
    assert restored.answers_per_question == 5
    assert restored.reader.model_name_or_path == reader_api.reader.model_name_or_path
    assert isinstance(restored.sentiment, SentimentClassifier)
