"""HTML for the product panel's results: one function per NLP report type (`qa.nodes.types`).

Each result is one `<div class="rqa-panel-output">`, so that a browser test can read what it says.
"""

from __future__ import annotations

from html import escape

from qa.nodes.types import (
    EntityReport,
    Generation,
    ProsCons,
    SentimentReport,
    Summary,
    TranslatedAnswer,
)
from qa.types import display_text
from ui.render import CARD_STYLE, MUTED, SENTIMENT_COLOURS

#: Items shown per list (pros, cons, entities, the most positive and negative reviews).
SHOWN = 5
#: Characters of a review shown in a sentiment list.
EXCERPT = 140


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(display_text(text).split())
    return escape(text if len(text) <= limit else text[: text.rfind(" ", 0, limit) or limit] + "…")


def _box(title: str, body: str) -> str:
    return f'<div class="rqa-panel-output" style="{CARD_STYLE}"><div style="font-weight:600">{title}</div>{body}</div>'


def sentiment_html(report: SentimentReport) -> str:
    """How many reviews are positive, negative, neutral; the most positive and most negative ones."""
    counts = report.counts
    total = len(report.items)
    head = (
        f'<div class="rqa-panel-sentence">{counts.get("positive", 0)} of {total} reviews are positive, '
        f"{counts.get('negative', 0)} negative and {counts.get('neutral', 0)} neutral "
        f'<span style="{MUTED}">(mean polarity {report.mean_polarity:+.2f}, from −1 to +1)</span>.</div>'
    )
    ranked = sorted(report.items, key=lambda i: i.sentiment.polarity)

    def items(chosen: list, label: str) -> str:
        colour = SENTIMENT_COLOURS[label]
        rows = "".join(f"<li>{_excerpt(i.text)}</li>" for i in chosen)
        return f'<div style="color:{colour};margin-top:0.4rem">Most {label}</div><ul>{rows}</ul>' if rows else ""

    negative = [i for i in ranked if i.sentiment.label == "negative"][:2]
    positive = [i for i in reversed(ranked) if i.sentiment.label == "positive"][:2]
    return _box("Sentiment", head + items(positive, "positive") + items(negative, "negative"))


def pros_cons_html(report: ProsCons) -> str:
    """Pros and cons, most supported first, each with how many reviews say it."""

    def column(title: str, answers: list, colour: str) -> str:
        rows = "".join(
            f"<li>{escape(display_text(a.text))} <span style='{MUTED}'>({a.support} review"
            f"{'s' if a.support != 1 else ''})</span></li>"
            for a in answers[:SHOWN]
        )
        body = f"<ul>{rows}</ul>" if rows else f"<div style='{MUTED}'>None found.</div>"
        return f'<div style="flex:1"><div style="color:{colour};font-weight:600">{title}</div>{body}</div>'

    body = (
        f'<div class="rqa-panel-sentence">Read out of {report.reviews} reviews.</div>'
        f'<div style="display:flex;gap:1.5rem">{column("Pros", report.pros, SENTIMENT_COLOURS["positive"])}'
        f"{column('Cons', report.cons, SENTIMENT_COLOURS['negative'])}</div>"
    )
    return _box("Pros and cons", body)


def summary_html(report: Summary) -> str:
    """The summary sentences (each a slice of one review)."""
    sentences = [s.text for s in report.sentences] or [report.text]
    rows = "".join(f"<li>{escape(display_text(s))}</li>" for s in sentences if s)
    body = f'<div class="rqa-panel-sentence">From {report.reviews} reviews:</div><ul>{rows}</ul>'
    return _box("Summary", body)


def entities_html(report: EntityReport) -> str:
    """The most mentioned names, with their kind (spaCy's OntoNotes labels) and mentions."""
    rows = "".join(
        f"<li>{escape(display_text(text))} <span style='{MUTED}'>({escape(label)}, {count}×)</span></li>"
        for text, label, count in report.most_common(SHOWN * 2)
    )
    body = f"<ul>{rows}</ul>" if rows else f"<div style='{MUTED}'>No names found.</div>"
    return _box("Names and brands", body)


def translation_html(report: TranslatedAnswer) -> str:
    """The question in English and the answer translated back (or that the reviews don't say)."""
    answer = report.answer
    said = (
        f"<b>{escape(answer.text)}</b> <span style='{MUTED}'>({escape(answer.source_text)})</span>"
        if answer is not None and report.result.mentioned
        else f"<b>As avaliações não mencionam isso.</b> <span style='{MUTED}'>(not mentioned)</span>"
    )
    body = (
        f'<div class="rqa-panel-sentence">Question in English: “{escape(report.question.text)}”</div>'
        f"<div>Resposta: {said}</div>"
    )
    return _box("Ask in Portuguese", body)


def generation_html(report: Generation) -> str:
    """Generated text."""
    return _box("Generated", f'<div class="rqa-panel-sentence">{escape(report.text)}</div>')


def analysis_html(result: object) -> str | None:
    """The HTML of one task result, or None for a type this module does not know (shown as data)."""
    renderers = {
        SentimentReport: sentiment_html,
        ProsCons: pros_cons_html,
        Summary: summary_html,
        EntityReport: entities_html,
        TranslatedAnswer: translation_html,
        Generation: generation_html,
    }
    for kind, render in renderers.items():
        if isinstance(result, kind):
            return render(result)  # type: ignore[operator]
    return None
