"""The review consensus, the shopper's view of an answer (headline, duplicates, evidence), product
summaries and what can run here: pure parts on hand-made values, the rest on the real index and the tiny reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.api import ReviewQA
from qa.availability import mode_unavailable, retriever_unavailable
from qa.config import Settings
from qa.nodes import PRODUCT_TASKS
from qa.nodes.consensus import cluster_labels
from qa.types import (
    Answer,
    AskResult,
    Confidence,
    Consensus,
    ConsensusGroup,
    ConsensusQuote,
    Review,
    majority_sentiment,
)

KINDLE = "B0074BW614"
TEXT = "I bought it for my trip. The battery lasts ten hours &#34;easily&#34; and the screen is sharp. Love it."


def _review(review_id: str, text: str = TEXT, split: str = "test") -> Review:
    return Review(item_id="B1", text=text, review_id=review_id, split=split)


def _span(text: str, review: Review, score: float = 0.5) -> Answer:
    start = review.text.index(text)
    return Answer(text=text, score=score, review=review, start=start, end=start + len(text))


def _quote(review_id: str, sentiment: str, text: str = "The battery lasts ten hours") -> ConsensusQuote:
    return ConsensusQuote(_span(text, _review(review_id)), probability=0.6, sentiment=sentiment, polarity=0.0)  # type: ignore[arg-type]


# -- pure parts ----------------------------------------------------------------------------------
def test_snippet_cuts_at_words_and_decodes_entities() -> None:
    answer = _span("The battery lasts ten hours &#34;easily&#34;", _review("r1"))
    snippet = answer.snippet(width=12)
    assert snippet is not None
    assert snippet.span == 'The battery lasts ten hours "easily"'  # entities decoded for display
    assert snippet.before == "my trip. " and snippet.cut_before and snippet.cut_after
    assert snippet.after.startswith(" and") and not snippet.after.endswith(" ")
    stale = Answer(text="the screen is sharp", score=0.1, review=answer.review, start=0, end=3)
    assert stale.snippet() is not None and stale.snippet().span == "the screen is sharp"  # type: ignore[union-attr]
    assert Answer(text="not there", score=0.1, review=answer.review).snippet() is None


def test_headline_others_and_duplicates() -> None:
    one, same_in_dev, other = _review("r1"), _review("r1", split="dev"), _review("r2", "Battery life is great.")
    answers = [
        _span("The battery lasts ten hours", one, 0.8),
        Answer(text=None, score=0.3),
        _span("The battery lasts ten hours", same_in_dev, 0.8),  # the same review stored in another split
        _span("the screen is sharp", one, 0.5),  # same review as the headline: not "other reviews"
        _span("Battery life is great", other, 0.4),
    ]
    answered = AskResult("q", "B1", answers, confidence=Confidence(True, 0.8, "likely"))
    assert [a.text for a in answered.spans] == [
        "The battery lasts ten hours",
        "the screen is sharp",
        "Battery life is great",
    ]
    assert answered.headline is answers[0]
    assert [a.text for a in answered.others] == ["Battery life is great"]
    abstained = AskResult("q", "B1", [answers[1], *answers[:1]], confidence=Confidence(False, 0.2, "not mentioned"))
    assert not abstained.mentioned and abstained.headline is None
    assert [a.text for a in abstained.others] == ["The battery lasts ten hours"]  # the candidates, for reference


def test_the_consensus_sentence() -> None:
    group = ConsensusGroup([_quote("a", "positive"), _quote("b", "positive"), _quote("c", "negative")])
    consensus = Consensus("How is the battery?", "B1", "the battery", reviews_read=7, reviews_total=9, groups=[group])
    assert consensus.sentence == "2 of 3 reviews that mention the battery are positive (7 of 9 reviews read)."
    assert group.reviews == 3 and group.sentiment == "positive" and group.label == "The battery lasts ten hours"
    split = Consensus("q", "B1", None, 4, 4, [ConsensusGroup([_quote("a", "positive"), _quote("b", "negative")])])
    assert split.sentence == "The 2 reviews that answer this are split: 1 positive, 1 negative (4 reviews read)."
    one = Consensus("q", "B1", "the fan", 1, 1, [ConsensusGroup([_quote("a", "neutral")])])
    assert one.sentence == "1 of 1 review that mentions the fan is neutral (1 review read)."
    assert (
        Consensus("q", "B1", "the fan", 3, 3).sentence == "None of the reviews read mention the fan (3 reviews read)."
    )
    assert majority_sentiment({"positive": 1, "neutral": 3}) == "neutral"
    assert majority_sentiment({}) == "neutral"


def test_quotes_saying_the_same_thing_share_a_group() -> None:
    rng = np.random.default_rng(0)
    battery, screen = rng.normal(size=8), rng.normal(size=8)
    vectors = np.array([battery, battery + 0.05 * rng.normal(size=8), screen, screen + 0.05 * rng.normal(size=8)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = cluster_labels(vectors, 0.3)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    assert len(set(cluster_labels(vectors, 2.0))) == 1 and cluster_labels(vectors[:1], 0.3) == [1]


# -- on the index --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rqa(qa_settings: Settings) -> ReviewQA:
    return ReviewQA(qa_settings)


def test_consensus_reads_the_products_reviews_and_groups_them(rqa: ReviewQA) -> None:
    consensus = rqa.consensus("How long does the battery last?", item_id=KINDLE, max_reviews=6)
    assert consensus.reviews_read == 6 and consensus.reviews_total == len(rqa.product_reviews(KINDLE))
    assert consensus.topic == "the battery" and consensus.seconds > 0
    assert 1 <= len(consensus.candidates) <= 6
    for quote in consensus.candidates:
        review, answer = quote.answer.review, quote.answer
        assert review is not None and review.item_id == KINDLE
        assert review.text[answer.start : answer.end] == answer.text and 0.0 <= quote.probability <= 1.0
    assert len({q.answer.review.review_id for q in consensus.candidates}) == len(consensus.candidates)  # type: ignore[union-attr]
    everyone = rqa.regroup(consensus, mention_threshold=0.0)  # every candidate mentions it
    assert len(everyone.quotes) == len(consensus.candidates) and everyone.mentioning == len(consensus.candidates)
    sizes = [g.reviews for g in everyone.groups]
    assert sizes == sorted(sizes, reverse=True)
    assert everyone.sentence.startswith(
        ("The ", f"{max(everyone.sentiment_counts.values())} of {everyone.mentioning} review")
    )
    assert len(rqa.regroup(consensus, mention_threshold=0.0, distance_threshold=2.0).groups) == 1
    assert rqa.regroup(consensus, mention_threshold=1.01).groups == []


def test_consensus_refuses_bad_input(rqa: ReviewQA) -> None:
    from qa.errors import ReviewQAError

    with pytest.raises(ReviewQAError, match="max_reviews"):
        rqa.consensus("Is it good?", item_id=KINDLE, max_reviews=0)
    with pytest.raises(ReviewQAError, match="No reviews of product"):
        rqa.consensus("Is it good?", item_id="B0074BW61X")


def test_products_are_named_by_their_words_and_counted_once(rqa: ReviewQA) -> None:
    summaries = {s.item_id: s for s in rqa.product_summaries()}
    assert len(summaries) == len(rqa.products())  # every product, none left out
    kindle = summaries[KINDLE]
    assert kindle.reviews == len(rqa.product_reviews(KINDLE))  # distinct reviews, not one per split
    assert "kindle" in kindle.keywords and kindle.label.startswith(f"{KINDLE} · kindle")
    questions = rqa.example_questions(KINDLE, limit=3)
    assert len(questions) == 3 and all(q.endswith("?") for q in questions)


def test_what_cannot_run_here_says_why(qa_settings: Settings) -> None:
    assert retriever_unavailable(qa_settings, "bm25") is None
    assert retriever_unavailable(qa_settings, "embedding") is None  # the packaged MiniLM
    assert "train-retriever" in (retriever_unavailable(qa_settings, "dpr") or "")  # no DPR encoders trained here
    assert mode_unavailable(qa_settings, "extractive") is None
    assert "No reader model yet" in (
        mode_unavailable(qa_settings.with_overrides(reader_model="auto"), "extractive") or ""
    )
    assert {name: task.unavailable(qa_settings) for name, task in PRODUCT_TASKS.items()} == dict.fromkeys(PRODUCT_TASKS)
    offline = qa_settings.with_overrides(sentiment_model="org/not-cached")
    assert "not in the local model cache" in (PRODUCT_TASKS["Sentiment"].unavailable(offline) or "")


def test_embeddings_are_prepared_ahead_with_progress(tmp_path: Path) -> None:
    from indexer.sources.user_reviews import ColumnMapping, load_user_reviews

    source = tmp_path / "reviews.csv"
    source.write_text("asin,body\n" + "".join(f"P1,Review number {i} says the battery is fine.\n" for i in range(5)))
    reviews, load, _ = load_user_reviews(source, ColumnMapping.parse("item_id=asin,text=body"), domain="custom")
    rqa = ReviewQA(Settings(data_dir=tmp_path / "data", device="cpu", retriever="embedding"))
    rqa.index_reviews(reviews, source="reviews.csv", load=load, progress=False)
    status = rqa.embedding_status()
    assert status is not None and (status.missing, status.total, status.ready) == (5, 5, False)
    seen: list[tuple[int, int]] = []
    report = rqa.prepare_embeddings(lambda done, todo: seen.append((done, todo)))
    assert report is not None and report.embedded == 5 and seen[-1] == (5, 5)
    assert rqa.embedding_status().ready  # type: ignore[union-attr]
    assert rqa.prepare_embeddings().embedded == 0  # type: ignore[union-attr]  # nothing twice
    assert ReviewQA(Settings(data_dir=tmp_path / "data")).embedding_status() is None  # BM25 needs none
