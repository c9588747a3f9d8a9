"""Extractive summaries: central sentences taken verbatim from the product's own reviews."""

from __future__ import annotations

from haystack import Pipeline

from qa.api import ReviewQA
from qa.nodes.summarizer import ReviewSummarizer, split_sentences
from qa.nodes.types import Summary
from tests.nodes.conftest import CHROMECAST, distinct_reviews


def test_sentence_splitter_keeps_offsets_and_splits_missing_spaces() -> None:
    text = "Worth it.For TV it's fine!  Really? Yes\nnew line"
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences == ["Worth it.", "For TV it's fine!", "Really?", "Yes", "new line"]


def test_summary_sentences_are_verbatim_from_the_products_reviews(nlp_api: ReviewQA) -> None:
    summary = nlp_api.analyze(CHROMECAST, "summary")
    assert isinstance(summary, Summary)
    assert summary.reviews == distinct_reviews(nlp_api, CHROMECAST)
    assert 1 <= len(summary.sentences) <= 3
    assert len({s.text for s in summary.sentences}) == len(summary.sentences)
    for sentence in summary.sentences:
        assert sentence.review.item_id == CHROMECAST
        assert sentence.review.text[sentence.start : sentence.end] == sentence.text
        assert sentence.text in summary.text
    centralities = [s.centrality for s in summary.sentences]
    assert centralities == sorted(centralities, reverse=True)


def test_summarizer_serialises() -> None:
    pipeline = Pipeline()
    pipeline.add_component("summarizer", ReviewSummarizer(sentences=2))
    restored = Pipeline.loads(pipeline.dumps(), allowed_modules=["qa.nodes", "qa.readers"]).get_component("summarizer")
    assert isinstance(restored, ReviewSummarizer) and restored.sentences == 2 and restored.model == "extractive"
