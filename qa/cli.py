"""The `reviewqa` command line (Typer). Every user mistake ends in one clear line and exit code 1."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qa.config import PACKAGED_MINILM, Settings
from qa.errors import ReviewQAError
from qa.types import AskResult, RetrievedReview

if TYPE_CHECKING:
    from qa.api import ReviewQA

app = typer.Typer(
    help="Question answering over customer reviews.", no_args_is_help=True, pretty_exceptions_enable=False
)
eval_app = typer.Typer(help="Evaluate retrievers and readers on gold labels.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the index, labels and models live.")]
SubjqaDir = Annotated[
    Path | None,
    typer.Option("--subjqa-dir", help="SubjQA in its CSV layout <dir>/<domain>/<split>.csv (or SUBJQA_DIR)."),
]
Domains = Annotated[list[str] | None, typer.Option("--domain", "-d", help="SubjQA domain (repeatable).")]
Device = Annotated[str | None, typer.Option("--device", help="auto (CUDA when present), cpu or cuda.")]
Reader = Annotated[str | None, typer.Option("--reader", help="Reader: a local folder or a hub id (default: auto).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def _settings(data_dir: Path | None = None, device: str | None = None, **overrides: Any) -> Settings:
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise ReviewQAError(f"--device must be auto, cpu or cuda, not {device!r}.")
    return Settings.from_env(None, data_dir=data_dir, device=device, **overrides)


def _api(settings: Settings) -> ReviewQA:
    from qa.api import ReviewQA  # heavy imports only when a command runs

    return ReviewQA(settings)


def print_result(result: AskResult) -> None:
    """Print answers with scores and the review text around each span."""
    typer.echo(f"Q: {result.question}  [product {result.item_id}]")
    if result.best is None or result.best.is_no_answer:
        typer.echo("  The reviews don't say: no answer found in the retrieved reviews of this product.")
    for rank, answer in enumerate(result.answers, start=1):
        if answer.is_no_answer:
            typer.echo(f"  {rank}. (no answer)  score {answer.score:.3f}")
            continue
        review_id = answer.review.review_id if answer.review else "?"
        typer.echo(f"  {rank}. {answer.text!r}  score {answer.score:.3f}  review {review_id}")
        typer.echo(f"     {answer.context(60)}")


@app.command()
def index(
    domain: Domains = None,
    split: Annotated[list[str] | None, typer.Option("--split", help="Splits to index (default: all).")] = None,
    subjqa_dir: SubjqaDir = None,
    data_dir: DataDir = None,
    quiet: Quiet = False,
) -> None:
    """Index SubjQA reviews (documents) and questions (gold labels) into the store."""
    from indexer.sources.subjqa import SPLITS
    from qa.data import resolve_subjqa_dir

    settings = _settings(data_dir, subjqa_dir=subjqa_dir)
    domains = domain or ["electronics"]
    source = resolve_subjqa_dir(settings, domains)
    summaries = _api(settings).index_subjqa(domains, source_dir=source, splits=split or SPLITS, progress=not quiet)
    for s in summaries:
        typer.echo(
            f"{s.source}: {s.questions} questions, {s.reviews} reviews; written {s.write.written}, "
            f"already indexed {s.write.already_present}; answers repaired {s.load.repaired}, dropped {s.load.dropped}"
        )
    typer.echo(f"Store {settings.store_dir}: {_api(settings).count()} reviews.")


@app.command("import-reviews")
def import_reviews(
    path: Annotated[Path, typer.Argument(help="CSV or JSONL file of reviews.")],
    columns: Annotated[
        str | None, typer.Option(help="Column mapping, e.g. 'item_id=asin,text=body,rating=stars'.")
    ] = None,
    domain: Annotated[str, typer.Option(help="Domain stored with each review.")] = "custom",
    on_bad_row: Annotated[str, typer.Option(help="skip: report bad rows and go on; reject: import nothing.")] = "skip",
    file_format: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from suffix).")] = None,
    data_dir: DataDir = None,
    quiet: Quiet = False,
) -> None:
    """Import your own reviews from CSV or JSONL (product id and text required)."""
    from indexer.sources.user_reviews import BadRowPolicy, ColumnMapping, load_user_reviews

    if on_bad_row not in ("skip", "reject"):
        raise ReviewQAError(f"--on-bad-row must be skip or reject, not {on_bad_row!r}.")
    reviews, load, bad = load_user_reviews(
        path, ColumnMapping.parse(columns), domain=domain, on_bad_row=BadRowPolicy(on_bad_row), file_format=file_format
    )
    for row in bad:
        typer.echo(f"skipped line {row.line}: {row.reason}", err=True)
    summary = _api(_settings(data_dir)).index_reviews(reviews, source=str(path), load=load, progress=not quiet)
    typer.echo(
        f"{path}: {load.rows_read} rows, {len(reviews)} reviews, {len(bad)} bad rows skipped; "
        f"written {summary.write.written}, already indexed {summary.write.already_present}."
    )


@app.command()
def products(
    split: Annotated[str | None, typer.Option(help="Only this split.")] = None,
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    limit: Annotated[int, typer.Option(help="How many to list.")] = 20,
    data_dir: DataDir = None,
) -> None:
    """List product ids with their number of reviews."""
    counts = _api(_settings(data_dir)).products(split=split, domain=domain)
    if not counts:
        raise ReviewQAError("The index is empty. Run `reviewqa index` first.")
    for item_id, n in list(counts.items())[:limit]:
        typer.echo(f"{item_id}\t{n}")
    typer.echo(f"({len(counts)} products)")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    item: Annotated[str, typer.Option("--item", help="Product id (e.g. an ASIN).")],
    split: Annotated[str | None, typer.Option(help="Only reviews of this split.")] = None,
    top_k_retriever: Annotated[int, typer.Option(min=1, max=100)] = 3,
    top_k_reader: Annotated[int, typer.Option(min=1, max=20)] = 3,
    reader: Reader = None,
    device: Device = None,
    data_dir: DataDir = None,
) -> None:
    """Answer a question from the reviews of one product."""
    settings = _settings(data_dir, reader_model=reader, device=device)
    result = _api(settings).ask(
        question, item_id=item, split=split, top_k_retriever=top_k_retriever, top_k_reader=top_k_reader
    )
    print_result(result)


@app.command("train-reader")
def train_reader(
    base: Annotated[str, typer.Option(help="Base model: hub id or local folder.")] = PACKAGED_MINILM,
    domains: Annotated[str, typer.Option(help="Comma-separated SubjQA domains to train on.")] = "electronics",
    epochs: Annotated[float, typer.Option(min=0.01)] = 1.0,
    learning_rate: Annotated[float, typer.Option("--lr")] = 1e-4,
    batch_size: Annotated[int, typer.Option(min=1)] = 16,
    max_examples: Annotated[int | None, typer.Option(help="Train on the first N examples only.")] = None,
    tune_on: Annotated[str, typer.Option(help="Split to tune the no-answer threshold on ('none' to skip).")] = "dev",
    out: Annotated[Path | None, typer.Option(help="Output folder (default: the data dir's reader).")] = None,
    subjqa_dir: SubjqaDir = None,
    device: Device = None,
    data_dir: DataDir = None,
    quiet: Quiet = False,
) -> None:
    """Fine-tune a question-answering reader on SubjQA train splits (domain adaptation)."""
    from qa.data import resolve_subjqa_dir
    from qa.readers.training import TrainingConfig
    from qa.training import train_and_tune

    settings = _settings(data_dir, subjqa_dir=subjqa_dir, device=device)
    domain_list = [d.strip() for d in domains.split(",") if d.strip()]
    config = TrainingConfig(
        epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, max_examples=max_examples
    )
    report = train_and_tune(
        settings,
        base=base,
        domains=domain_list,
        source_dir=resolve_subjqa_dir(settings, domain_list),
        out_dir=out or settings.default_reader_dir,
        config=config,
        tune_on=None if tune_on == "none" else tune_on,
        progress=not quiet,
    )
    typer.echo(json.dumps(report, indent=2))


@app.command()
def quickstart(
    domain: Annotated[str, typer.Option(help="SubjQA domain to index and ask about.")] = "electronics",
    questions: Annotated[int, typer.Option(min=1, help="How many test questions to answer.")] = 5,
    subjqa_dir: SubjqaDir = None,
    data_dir: DataDir = None,
    reader: Reader = None,
) -> None:
    """Set everything up (index, reader) and answer real test questions about real products."""
    from qa.quickstart import run_quickstart

    settings = _settings(data_dir, subjqa_dir=subjqa_dir, reader_model=reader)
    run_quickstart(settings, domain=domain, n_questions=questions, echo=typer.echo, show=print_result)


@eval_app.command("retriever")
def eval_retriever(
    domain: Annotated[str, typer.Option(help="SubjQA domain (indexed).")] = "electronics",
    split: Annotated[str, typer.Option(help="Split whose questions are asked.")] = "test",
    limit: Annotated[int | None, typer.Option(help="Only the first N questions (a quick run).")] = None,
    output: Annotated[Path | None, typer.Option(help="Write the metrics as JSON here.")] = None,
    data_dir: DataDir = None,
    quiet: Quiet = False,
) -> None:
    """Recall@k (k=1,3,5,10,20), MRR and MAP of the retriever, filtered by product and split."""
    from eval.retriever import KS, evaluate_retriever
    from qa.stores.factory import open_labels

    settings = _settings(data_dir)
    api = _api(settings)
    questions = open_labels(settings).read(domain, split)[:limit]

    def retrieve(question: str, item_id: str, split_: str, top_k: int) -> list[RetrievedReview]:
        return api.retrieve(question, item_id=item_id, split=split_, top_k=top_k)

    result = evaluate_retriever(retrieve, questions, progress=not quiet)
    typer.echo(f"retriever={settings.retriever} domain={domain} split={split} (product and split filters)")
    typer.echo("definition                          queries  " + "  ".join(f"R@{k:<3}" for k in KS) + "  MRR    MAP")
    for name, n in result.queries.items():
        recalls = "  ".join(f"{result.recall[name][k]:.3f}" for k in KS)
        typer.echo(f"{name:<35} {n:>7}  {recalls}  {result.mrr[name]:.3f}  {result.map[name]:.3f}")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(asdict(result), indent=2))


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 1."""
    try:
        app()
    except ReviewQAError as error:
        typer.echo(f"Error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
