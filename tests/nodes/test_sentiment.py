"""Sentiment with VADER on real SubjQA reviews, as a component, in a pipeline and through the API."""

from __future__ import annotations

from haystack import Document, Pipeline

from qa.api import ReviewQA
from qa.nodes.sentiment import SentimentClassifier, classifier_sentiment, stored_sentiment
from qa.nodes.types import SentimentReport
from qa.types import Review
from tests.nodes.conftest import CHROMECAST, distinct_reviews

# Real electronics reviews a reader calls clearly positive / clearly negative.
POSITIVE = {
    "1bb8432561487a72a3d28cf3d61c2584": "Love the mouse click button",  # a keyboard with track pad
    "e71939592b899acb5f8b2624bf9cf01b": "super slim, super sleek",  # a Nexus 7 case
}
NEGATIVE = {
    "dd0f75e5f759a31c66ac975de62dadfe": "The pictures are poor and the videos are worse",  # a camera
    "4ba12683833522c104be9ed076e050d8": "the images are generally fuzzy",  # a camera
}


def test_vader_labels_clearly_positive_and_negative_reviews(electronics_reviews: dict[str, Review]) -> None:
    classifier = SentimentClassifier()  # "vader", offline
    ids = [*POSITIVE, *NEGATIVE]
    for review_id, phrase in {**POSITIVE, **NEGATIVE}.items():
        assert phrase in electronics_reviews[review_id].text
    documents = [Document(content=electronics_reviews[i].text, meta={"review_id": i}) for i in ids]
    annotated = {d.meta["review_id"]: stored_sentiment(d) for d in classifier.run(documents=documents)["documents"]}
    for review_id in POSITIVE:
        sentiment = annotated[review_id]
        assert sentiment is not None and sentiment.label == "positive" and sentiment.polarity > 0.5
        assert 0.5 < sentiment.score <= 1.0
    for review_id in NEGATIVE:
        sentiment = annotated[review_id]
        assert sentiment is not None and sentiment.label == "negative" and sentiment.polarity < -0.3


def test_sentiment_component_serialises_and_runs_in_a_pipeline() -> None:
    pipeline = Pipeline()
    pipeline.add_component("sentiment", SentimentClassifier())
    restored = Pipeline.loads(pipeline.dumps(), allowed_modules=["qa.nodes", "qa.readers"])
    output = restored.run({"sentiment": {"documents": [Document(content="Terrible. It broke after a day.")]}})
    assert stored_sentiment(output["sentiment"]["documents"][0]).label == "negative"  # type: ignore[union-attr]
    assert SentimentClassifier.from_dict(SentimentClassifier(model="org/model").to_dict()).model == "org/model"


def test_classifier_scores_map_to_labels() -> None:
    binary = classifier_sentiment([{"label": "POSITIVE", "score": 0.9}, {"label": "NEGATIVE", "score": 0.1}])
    assert binary.label == "positive" and abs(binary.polarity - 0.8) < 1e-9
    stars = classifier_sentiment([{"label": "1 star", "score": 0.7}, {"label": "5 stars", "score": 0.3}])
    assert stars.label == "negative"


def test_analyze_sentiment_of_every_review_of_a_product(nlp_api: ReviewQA) -> None:
    report = nlp_api.analyze(CHROMECAST, "sentiment")
    assert isinstance(report, SentimentReport)
    assert len(report.items) == distinct_reviews(nlp_api, CHROMECAST) > 0
    assert all(i.review is not None and i.review.item_id == CHROMECAST for i in report.items)
    assert len({i.review.review_id for i in report.items if i.review}) == len(report.items)
    assert sum(report.counts.values()) == len(report.items)
    answer = nlp_api.analyze(None, "sentiment", text="The battery life is excellent.")
    assert isinstance(answer, SentimentReport) and answer.items[0].sentiment.label == "positive"
