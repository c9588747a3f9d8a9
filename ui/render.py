"""HTML for answers and reviews. Every piece of review or user text is HTML-escaped here."""

from __future__ import annotations

from html import escape

from qa.types import Answer, Review

#: Answer cards sit in a bordered Streamlit container already; retrieved reviews get their own border.
ANSWER_STYLE = "margin:0.1rem 0 0.4rem 0;"
CARD_STYLE = "border:1px solid #d0d7e2;border-radius:8px;padding:0.6rem 0.9rem;margin:0.3rem 0 0.6rem 0;"
REVIEW_STYLE = "white-space:pre-wrap;margin:0.4rem 0 0 0;line-height:1.45;color:#222;"
MARK_STYLE = "background:#ffe066;padding:0 2px;border-radius:3px;"


def span_bounds(answer: Answer) -> tuple[int, int] | None:
    """The answer's character span in its review, checked against the text (None if unusable)."""
    if answer.review is None or answer.text is None:
        return None
    text = answer.review.text
    if answer.start is not None and answer.end is not None and text[answer.start : answer.end] == answer.text:
        return answer.start, answer.end
    found = text.find(answer.text)  # offsets missing or stale: fall back to the first occurrence
    if found < 0:
        return None
    return found, found + len(answer.text)


def highlighted_review(answer: Answer) -> str:
    """The answer's review as escaped HTML with the answer span inside `<mark>`."""
    if answer.review is None:
        return ""
    text = answer.review.text
    bounds = span_bounds(answer)
    if bounds is None:
        return escape(text)
    start, end = bounds
    return (
        f'{escape(text[:start])}<mark class="rqa-span" style="{MARK_STYLE}">{escape(text[start:end])}</mark>'
        f"{escape(text[end:])}"
    )


def _review_meta(review: Review) -> str:
    parts = []
    if review.review_id:
        parts.append(f"review {escape(review.review_id)}")
    if review.rating is not None:
        parts.append(f"rating {review.rating:g}")
    if review.split:
        parts.append(f"split {escape(review.split)}")
    return " · ".join(parts)


def answer_card(answer: Answer, rank: int) -> str:
    """One answer with its score, shown inside its review with the span highlighted."""
    if answer.text is None:
        return ""
    meta = _review_meta(answer.review) if answer.review else ""
    head = (
        f'<b>{rank}.</b> <span class="rqa-answer-text" style="font-weight:600">{escape(answer.text)}</span>'
        f' &nbsp;<span style="color:#555">score {answer.score:.3f}{" · " + meta if meta else ""}</span>'
    )
    body = f'<div class="rqa-review" style="{REVIEW_STYLE}">{highlighted_review(answer)}</div>'
    return f'<div class="rqa-answer" style="{ANSWER_STYLE}">{head}{body}</div>'


def review_card(review: Review, score: float, rank: int) -> str:
    """A retrieved review with its retrieval score."""
    meta = _review_meta(review)
    head = f'<b>{rank}.</b> <span style="color:#555">retrieval score {score:.3f}{" · " + meta if meta else ""}</span>'
    body = f'<div class="rqa-review" style="{REVIEW_STYLE}">{escape(review.text)}</div>'
    return f'<div class="rqa-retrieved" style="{CARD_STYLE}">{head}{body}</div>'
