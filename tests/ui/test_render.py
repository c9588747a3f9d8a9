"""Answer, evidence and consensus HTML: text is decoded for display then escaped, the span is inside <mark>."""

from __future__ import annotations

from qa.types import Answer, Consensus, ConsensusGroup, ConsensusQuote, Review
from ui.render import answer_card, consensus_html, evidence, headline_card, highlighted_review, review_card
from ui.results import describe, metric_tables

TEXT = "Screen is <b>bright</b> &amp; &#34;crisp&#34;; great for reading <script>alert(1)</script>. " + "More. " * 60
REVIEW = Review(item_id="B1", text=TEXT, review_id="r<1>", rating=4.0, split="test")
START = TEXT.index("great for reading")


def _answer(start: int | None, end: int | None, text: str = "great for reading") -> Answer:
    return Answer(text=text, score=0.75, review=REVIEW, start=start, end=end)


def test_span_is_marked_entities_decoded_and_everything_escaped() -> None:
    html = highlighted_review(_answer(START, START + 17))
    assert '">great for reading</mark>' in html
    assert "&lt;b&gt;bright&lt;/b&gt; &amp; &quot;crisp&quot;" in html  # &#34; shown as " (escaped once)
    assert "&amp;#34;" not in html and "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_evidence_is_a_snippet_with_the_whole_review_behind_a_toggle() -> None:
    html = evidence(_answer(START, START + 17), width=30)
    snippet = html.split("<details")[0]
    assert "great for reading</mark>" in snippet and snippet.count("More.") < 10 and "…" in snippet
    assert "Show the whole review" in html and html.count("More.") > 50
    short = Answer(text="fine", score=0.5, review=Review(item_id="B1", text="It is fine."), start=6, end=10)
    assert "Show the whole review" not in evidence(short)
    assert "<mark" not in evidence(_answer(None, None, text="not in the review"))


def test_cards_show_confidence_words_and_rating_but_scores_only_to_developers() -> None:
    card = headline_card(_answer(START, START + 17), "likely")
    assert "Likely" in card and "rated 4" in card and "score" not in card and "r&lt;1&gt;" not in card
    developer = headline_card(_answer(START, START + 17), "likely", developer=True)
    assert "score 0.750" in developer and "review r&lt;1&gt;" in developer and "split test" in developer
    assert "<b>2.</b>" in answer_card(_answer(START, START + 17), rank=2)
    evil = Answer(text="<img src=x onerror=alert(1)>", score=0.1, review=None)
    assert "<img" not in answer_card(evil, rank=1) and "<img" not in headline_card(evil, None)
    assert "<script>" not in review_card(REVIEW, 1.5, rank=1) and "retrieval score 1.500" in review_card(REVIEW, 1.5, 1)


def test_consensus_html_says_the_sentence_and_each_group() -> None:
    quote = ConsensusQuote(_answer(START, START + 17, "great for reading"), 0.7, "positive", 0.6)
    evil = ConsensusQuote(Answer(text="<b>x</b>", score=0.1, review=REVIEW), 0.6, "negative", -0.5)
    consensus = Consensus("Is it good?", "B1", "reading", 2, 3, [ConsensusGroup([quote]), ConsensusGroup([evil])])
    html = consensus_html(consensus)
    assert consensus.sentence in html.replace("&#x27;", "'")
    assert "“great for reading”" in html and "1 positive" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<b>x</b>" not in html and "p = 0.70" not in html and "p = 0.70" in consensus_html(consensus, developer=True)


def test_metric_tables_cover_scalars_matrices_and_deeper_nesting() -> None:
    squad = dict(metric_tables({"top1": {"overall": {"em": 0.3, "f1": 0.4}, "by_group": {"factual": {"em": 0.2}}}}))
    assert squad["top1"].loc["overall", "f1"] == 0.4 and squad["top1"].loc["by_group.factual", "em"] == 0.2
    assert squad["top1"].index.name == "group"  # the row labels have a name, and the page shows them
    wide = dict(metric_tables({"w": {f"g{i}": {f"m{i}": i} for i in range(20)}}))
    assert list(wide["w"].columns) == ["metric", "value"] and len(wide["w"]) == 20

    tables = dict(
        metric_tables(
            {
                "queries": 10,
                "recall": {"product": {"1": 0.5, "3": 0.8}, "split": {"1": 0.4, "3": 0.7}},
                "mrr": {"product": 0.6},
                "nested": {"a": {"b": {"c": 1}}},
                "rows": [{"k": 1, "em": 0.2}],
            }
        )
    )
    assert list(tables["metrics"]["metric"]) == ["queries"]
    assert tables["recall"].loc["split", "3"] == 0.7
    assert list(tables["mrr"].columns) == ["group", "mrr"]
    assert tables["nested"].loc["a.b", "c"] == 1
    assert list(tables["rows"].columns) == ["k", "em"]
    assert describe("recall").startswith("Recall@k") and describe("unknown block") is None
