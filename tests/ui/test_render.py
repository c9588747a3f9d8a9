"""Answer and review HTML: review text is escaped, the answer span is inside <mark>."""

from __future__ import annotations

from qa.types import Answer, Review
from ui.render import answer_card, highlighted_review, review_card, span_bounds
from ui.results import metric_tables

TEXT = 'Screen is <b>bright</b> & "crisp"; great for reading <script>alert(1)</script>.'
REVIEW = Review(item_id="B1", text=TEXT, review_id="r<1>", rating=4.0)
START = TEXT.index("great for reading")


def _answer(start: int | None, end: int | None, text: str = "great for reading") -> Answer:
    return Answer(text=text, score=0.75, review=REVIEW, start=start, end=end)


def test_span_is_marked_and_everything_else_escaped() -> None:
    html = highlighted_review(_answer(START, START + 17))
    assert '">great for reading</mark>' in html
    assert "&lt;b&gt;bright&lt;/b&gt; &amp; &quot;crisp&quot;" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_stale_or_missing_offsets_fall_back_to_the_text() -> None:
    assert span_bounds(_answer(0, 5)) == (START, START + 17)
    assert span_bounds(_answer(None, None)) == (START, START + 17)
    assert span_bounds(_answer(None, None, text="not in the review")) is None
    assert "<mark" not in highlighted_review(_answer(None, None, text="not in the review"))


def test_cards_escape_answer_and_metadata() -> None:
    card = answer_card(_answer(START, START + 17, text="great for reading"), rank=2)
    assert "<b>2.</b>" in card and "score 0.750" in card and "review r&lt;1&gt;" in card and "rating 4" in card
    evil = Answer(text="<img src=x onerror=alert(1)>", score=0.1, review=None)
    assert "<img" not in answer_card(evil, rank=1)
    assert "<script>" not in review_card(REVIEW, 1.5, rank=1) and "retrieval score 1.500" in review_card(REVIEW, 1.5, 1)


def test_metric_tables_cover_scalars_matrices_and_deeper_nesting() -> None:
    squad = dict(metric_tables({"top1": {"overall": {"em": 0.3, "f1": 0.4}, "by_group": {"factual": {"em": 0.2}}}}))
    assert squad["top1"].loc["overall", "f1"] == 0.4 and squad["top1"].loc["by_group.factual", "em"] == 0.2
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
    assert tables["nested"].loc["a.b", "c"] == 1
    assert list(tables["rows"].columns) == ["k", "em"]
