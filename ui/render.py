"""HTML for answers, evidence, the review consensus and reviews. Every piece of text is HTML-escaped here.

Review text is shown as a shopper reads it: HTML entities that SubjQA keeps in its reviews (`&#34;`)
are decoded first (`qa.types.display_text`), then everything is escaped once.
"""

from __future__ import annotations

from html import escape

from qa.types import Answer, Consensus, ConsensusGroup, ConsensusQuote, Review, Snippet, display_text

#: Answer cards sit in a bordered Streamlit container already; retrieved reviews get their own border.
ANSWER_STYLE = "margin:0.1rem 0 0.4rem 0;"
CARD_STYLE = "border:1px solid #d0d7e2;border-radius:8px;padding:0.6rem 0.9rem;margin:0.3rem 0 0.6rem 0;"
REVIEW_STYLE = "white-space:pre-wrap;margin:0.4rem 0 0 0;line-height:1.45;color:#222;"
MARK_STYLE = "background:#ffe066;padding:0 2px;border-radius:3px;"
MUTED = "color:#555;"
HEADLINE_STYLE = "font-size:1.35rem;font-weight:650;line-height:1.3;"
#: Characters of review text shown on each side of an answer span (the rest behind "show the whole review").
SNIPPET_WIDTH = 160
#: Colours of the sentiment labels.
SENTIMENT_COLOURS = {"positive": "#1a7f37", "negative": "#c62828", "neutral": "#57606a"}


def _marked(snippet: Snippet) -> str:
    before = ("…" if snippet.cut_before else "") + escape(snippet.before)
    after = escape(snippet.after) + ("…" if snippet.cut_after else "")
    return f'{before}<mark class="rqa-span" style="{MARK_STYLE}">{escape(snippet.span)}</mark>{after}'


def highlighted_review(answer: Answer) -> str:
    """The answer's whole review as escaped HTML with the answer span inside `<mark>`."""
    if answer.review is None:
        return ""
    snippet = answer.snippet(width=len(answer.review.text))
    return escape(display_text(answer.review.text)) if snippet is None else _marked(snippet)


def evidence(answer: Answer, width: int = SNIPPET_WIDTH) -> str:
    """The text around the answer span (span in `<mark>`) and, when it is cut, the whole review behind a toggle."""
    if answer.review is None:
        return ""
    snippet = answer.snippet(width)
    if snippet is None:
        return f'<div class="rqa-review" style="{REVIEW_STYLE}">{escape(display_text(answer.review.text))}</div>'
    html = f'<div class="rqa-snippet" style="{REVIEW_STYLE}">{_marked(snippet)}</div>'
    if snippet.cut_before or snippet.cut_after:
        html += (
            '<details class="rqa-whole"><summary style="cursor:pointer;color:#0969da">Show the whole review</summary>'
            f'<div class="rqa-review" style="{REVIEW_STYLE}">{highlighted_review(answer)}</div></details>'
        )
    return html


def review_meta(review: Review, *, developer: bool = False) -> str:
    """The rating and title when known ("rated 4"); with `developer`, also the review id and split."""
    parts = []
    if review.rating is not None:
        parts.append(f'<span class="rqa-rating">rated {review.rating:g}</span>')
    if review.title:
        parts.append(f"“{escape(display_text(review.title))}”")
    if developer:
        if review.review_id:
            parts.append(f"review {escape(review.review_id)}")
        if review.split:
            parts.append(f"split {escape(review.split)}")
    return " · ".join(parts)


def headline_card(answer: Answer, words: str | None, *, developer: bool = False) -> str:
    """The one headline answer: its text, its confidence in words, and its evidence."""
    if answer.text is None:
        return ""
    meta = review_meta(answer.review, developer=developer) if answer.review else ""
    extra = f" · score {answer.score:.3f}" if developer else ""
    confidence = f'<span class="rqa-confidence">{escape(words.capitalize())}</span>' if words else ""
    head = (
        f'<div style="{MUTED}">{confidence}{" · " if confidence and meta else ""}{meta}{extra}</div>'
        f'<div class="rqa-answer-text" style="{HEADLINE_STYLE}">{escape(display_text(answer.text))}</div>'
    )
    return f'<div class="rqa-answer rqa-headline" style="{ANSWER_STYLE}">{head}{evidence(answer)}</div>'


def answer_card(answer: Answer, rank: int, *, developer: bool = False) -> str:
    """An answer of "other reviews say" (or a candidate too weak to answer), shown inside its review."""
    if answer.text is None:
        return ""
    meta = review_meta(answer.review, developer=developer) if answer.review else ""
    score = f"score {answer.score:.3f}" if developer else ""
    tail = " · ".join(p for p in (score, meta) if p)
    tail_html = f' &nbsp;<span style="{MUTED}">{tail}</span>' if tail else ""
    text = escape(display_text(answer.text))
    head = f'<b>{rank}.</b> <span class="rqa-answer-text" style="font-weight:600">{text}</span>{tail_html}'

    return f'<div class="rqa-answer" style="{ANSWER_STYLE}">{head}{evidence(answer)}</div>'


def review_card(review: Review, score: float, rank: int, *, developer: bool = True) -> str:
    """A retrieved review with its retrieval score."""
    meta = review_meta(review, developer=developer)
    head = f'<b>{rank}.</b> <span style="{MUTED}">retrieval score {score:.3f}{" · " + meta if meta else ""}</span>'
    body = f'<div class="rqa-review" style="{REVIEW_STYLE}">{escape(display_text(review.text))}</div>'
    return f'<div class="rqa-retrieved" style="{CARD_STYLE}">{head}{body}</div>'


def _sentiment(label: str, text: str | None = None) -> str:
    colour = SENTIMENT_COLOURS.get(label, "#57606a")
    return f'<span class="rqa-sentiment" style="color:{colour};font-weight:600">{escape(text or label)}</span>'


def _counts(counts: dict[str, int]) -> str:
    order = ("positive", "negative", "neutral")
    return ", ".join(_sentiment(k, f"{counts[k]} {k}") for k in order if counts.get(k))


def quote_line(quote: ConsensusQuote, *, developer: bool = False) -> str:
    """One review's quote in a consensus group: its span in context, with its sentiment."""
    probability = f" · p = {quote.probability:.2f}" if developer else ""
    return (
        f'<li class="rqa-quote" style="margin-bottom:0.4rem">{_sentiment(quote.sentiment)}{probability}'
        f"{evidence(quote.answer, width=80)}</li>"
    )


def consensus_group(group: ConsensusGroup, rank: int, *, developer: bool = False) -> str:
    """One group of the consensus: its label, how many reviews say it, their sentiment, its quotes."""
    reviews = f"{group.reviews} review{'s' if group.reviews != 1 else ''}"
    quotes = "".join(quote_line(q, developer=developer) for q in group.quotes)
    return (
        f'<div class="rqa-group" style="{CARD_STYLE}">'
        f'<div><b>{rank}.</b> <span class="rqa-group-label" style="font-weight:600">“{escape(group.label)}”</span>'
        f' <span style="{MUTED}">· {reviews} · {_counts(group.sentiment_counts)}</span></div>'
        f'<details><summary style="cursor:pointer;color:#0969da">What they wrote</summary>'
        f'<ul style="margin:0.3rem 0 0 1rem">{quotes}</ul></details></div>'
    )


def consensus_html(consensus: Consensus, *, developer: bool = False) -> str:
    """The consensus: its sentence, then each group."""
    groups = "".join(consensus_group(g, i, developer=developer) for i, g in enumerate(consensus.groups, start=1))
    timing = f' <span style="{MUTED}">({consensus.seconds:.1f} s)</span>' if developer else ""
    return (
        f'<div class="rqa-consensus"><div class="rqa-consensus-sentence" style="font-size:1.1rem;font-weight:600">'
        f"{escape(consensus.sentence)}{timing}</div>{groups}</div>"
    )
