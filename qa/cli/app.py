"""The `reviewqa` command line (Typer). Every user mistake ends in one clear line and exit code 1."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qa.cli.errors import ReviewQAGroup
from qa.cli.nlp import Generator, Mode, analyze, print_generative
from qa.cli.options import (
    Domains,
    NoAnswerPrior,
    comma_list,
    document_shared_options,
    make_api,
    settings_from,
    shared,
    shared_options,
)
from qa.cli.plugins import register_plugin_commands
from qa.cli.retrieval import echo_embed_report, register_retrieval_commands
from qa.config import PACKAGED_MINILM, PACKAGED_MPNET, DenseKind, check_top_k
from qa.errors import ReviewQAError
from qa.types import AskResult, Consensus

app = typer.Typer(
    help="Question answering over customer reviews.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=ReviewQAGroup,  # every user error, usage errors included: one `Error:` line, exit 1 (qa/cli/errors.py)
)
app.callback()(shared_options)  # the options every command shares, declared once (qa/cli/options.py)


def print_result(result: AskResult) -> None:
    """Print answers with scores and the review text around each span."""
    typer.echo(f"Q: {result.question}  [product {result.item_id}]")
    if result.best is None or result.best.is_no_answer:
        typer.echo("  The reviews don't say: no answer found in the retrieved reviews of this product.")
    elif result.confidence is not None:
        confidence = result.confidence
        typer.echo(f"  Answer ({confidence.words}, p = {confidence.probability:.2f}): {result.best.text!r}")
    spans = [answer for answer in result.answers if not answer.is_no_answer]
    for rank, answer in enumerate(spans, start=1):  # --top-k-reader spans; "no answer" is not one of them
        review_id = answer.review.review_id if answer.review else "?"
        typer.echo(f"  {rank}. {answer.text!r}  score {answer.score:.3f}  review {review_id}")
        typer.echo(f"     {answer.context(60)}")
    for answer in result.answers:
        if answer.is_no_answer:
            typer.echo(f"  (no answer: score {answer.score:.3f})")


def print_with_consensus(result: AskResult, consensus: Consensus) -> None:
    """Print the headline (the consensus's span when the pipeline abstains), then the consensus groups."""
    print_result(result)
    headline = result.headline_with(consensus)
    if headline.from_consensus and headline.answer is not None:
        typer.echo(f"  From the consensus ({headline.words}): {headline.answer.text!r}")
    typer.echo(f"Consensus: {consensus.sentence}")
    for number, group in enumerate(consensus.groups, start=1):
        counts = ", ".join(f"{n} {label}" for label, n in sorted(group.sentiment_counts.items()))
        typer.echo(
            f"  {number}. {group.label!r}: {group.reviews} {'review' if group.reviews == 1 else 'reviews'} ({counts})"
        )
        for quote in group.quotes:
            review_id = quote.answer.review.review_id if quote.answer.review else "?"
            typer.echo(f"     [{quote.sentiment}] {quote.answer.context(60)}  review {review_id}")


@app.command()
def index(
    domain: Domains = None,
    split: Annotated[list[str] | None, typer.Option("--split", help="Splits to index (default: all).")] = None,
    embed: Annotated[
        bool | None,
        typer.Option("--embed/--no-embed", help="Embed the reviews now (default: when the retriever is dense)."),
    ] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Index SubjQA reviews (documents) and questions (gold labels) into the store."""
    from indexer.sources.subjqa import SPLITS
    from qa.data import resolve_subjqa_dir

    settings = settings_from(ctx)
    quiet = shared(ctx).quiet
    domains = domain or ["electronics"]
    source = resolve_subjqa_dir(settings, domains)
    api = make_api(settings)
    summaries = api.index_subjqa(domains, source_dir=source, splits=split or SPLITS, progress=not quiet)
    for s in summaries:
        labels = s.labels
        merged = (
            f"; gold questions kept {labels.kept}, added {labels.added}, updated {labels.updated}" if labels else ""
        )
        typer.echo(
            f"{s.source}: {s.questions} questions, {s.reviews} reviews; written {s.write.written}, "
            f"already indexed {s.write.already_present}; answers repaired {s.load.repaired}, dropped {s.load.dropped}"
            f"{merged}"
        )
    # A dense retriever gets its vectors at index time (with progress), not on the first question.
    if embed or (embed is None and settings.retrieval.retriever != "bm25"):
        kind: DenseKind | None = (
            "embedding" if settings.retrieval.retriever == "bm25" else None
        )  # BM25: default encoder
        echo_embed_report(api.embed(progress=not quiet, force_kind=kind))
    typer.echo(f"Store {settings.store_dir}: {api.count()} reviews.")


@app.command("import-reviews")
def import_reviews(
    path: Annotated[Path, typer.Argument(help="CSV or JSONL file of reviews.")],
    columns: Annotated[
        str | None, typer.Option(help="Column mapping, e.g. 'item_id=asin,text=body,rating=stars'.")
    ] = None,
    domain: Annotated[str, typer.Option(help="Domain stored with each review.")] = "custom",
    on_bad_row: Annotated[str, typer.Option(help="skip: report bad rows and go on; reject: import nothing.")] = "skip",
    file_format: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from suffix).")] = None,
    *,
    ctx: typer.Context,
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
    api = make_api(settings_from(ctx))
    summary = api.index_reviews(reviews, source=str(path), load=load, progress=not shared(ctx).quiet)
    typer.echo(
        f"{path}: {load.rows_read} rows, {len(reviews)} reviews, {len(bad)} bad rows skipped; "
        f"written {summary.write.written}, already indexed {summary.write.already_present}."
    )


@app.command()
def products(
    split: Annotated[str | None, typer.Option(help="Only this split.")] = None,
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many to list.")] = 20,
    *,
    ctx: typer.Context,
) -> None:
    """List product ids with their number of reviews."""
    api = make_api(settings_from(ctx))
    counts = api.products(split=split, domain=domain)
    if not counts:
        if api.count() == 0:
            raise ReviewQAError("The index is empty. Run `reviewqa index` first.")
        where = " and ".join(f"{k} {v!r}" for k, v in (("split", split), ("domain", domain)) if v is not None)
        raise ReviewQAError(f"No reviews in {where}. `reviewqa products` without --split and --domain lists them all.")
    for item_id, n in list(counts.items())[:limit]:
        typer.echo(f"{item_id}\t{n}")
    typer.echo(f"({len(counts)} products)")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    item: Annotated[str, typer.Option("--item", help="Product id (e.g. an ASIN).")],
    split: Annotated[str | None, typer.Option(help="Only reviews of this split.")] = None,
    top_k_retriever: Annotated[int | None, typer.Option(help="Reviews to read, 1 to 100 (default 3).")] = None,
    top_k_reader: Annotated[int | None, typer.Option(help="Answers to show, 1 to 100 (default 3).")] = None,
    mode: Mode = "extractive",
    generator: Generator = None,
    consensus: Annotated[
        bool,
        typer.Option(
            "--consensus/--no-consensus",
            help="Also read the product's reviews and group what they say, with sentiment (review consensus).",
        ),
    ] = False,
    consensus_reviews: Annotated[
        int | None,
        typer.Option(help="Reviews the consensus reads, best matching first, 1 to 100 (default: all, at most 100)."),
    ] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Answer a question from the reviews of one product."""
    if mode not in ("extractive", "generative"):
        raise ReviewQAError(f"--mode must be extractive or generative, not {mode!r}.")
    if consensus and mode == "generative":
        raise ReviewQAError("--consensus reads spans from the reviews: use it with --mode extractive.")
    if consensus_reviews is not None:
        if not consensus:
            raise ReviewQAError("--consensus-reviews only applies with --consensus.")
        check_top_k("--consensus-reviews", consensus_reviews)  # before any model loads
    settings = settings_from(
        ctx,
        generator_model=generator,
        top_k_retriever=top_k_retriever,  # checked by Settings, with the API's messages
        top_k_reader=top_k_reader,
    )
    api = make_api(settings)
    result = api.ask(
        question,
        item_id=item,
        split=split,
        top_k_retriever=settings.retrieval.top_k,
        top_k_reader=settings.reader.top_k,
        mode="generative" if mode == "generative" else "extractive",
    )
    if mode == "generative":
        print_generative(result)
    elif consensus:
        print_with_consensus(result, api.consensus(question, item_id=item, split=split, max_reviews=consensus_reviews))
    else:
        print_result(result)


app.command("analyze")(analyze)


@app.command("train-reader")
def train_reader(
    base: Annotated[
        str, typer.Option(help=f"Base model: hub id, local folder, {PACKAGED_MINILM} or {PACKAGED_MPNET}.")
    ] = PACKAGED_MINILM,
    domains: Annotated[str, typer.Option(help="Comma-separated SubjQA domains to train on.")] = "electronics",
    epochs: Annotated[float, typer.Option(min=0.01)] = 1.0,
    learning_rate: Annotated[float, typer.Option("--lr")] = 1e-4,
    batch_size: Annotated[int, typer.Option(min=1)] = 16,
    max_examples: Annotated[int | None, typer.Option(help="Train on the first N examples only.")] = None,
    tune_on: Annotated[str, typer.Option(help="Split to tune the no-answer threshold on ('none' to skip).")] = "dev",
    out: Annotated[Path | None, typer.Option(help="Output folder (default: the data dir's reader).")] = None,
    folds: Annotated[int, typer.Option(help="K > 1: k-fold cross-validation over train (by product) instead.")] = 1,
    keep_answerless_windows: Annotated[
        bool, typer.Option(help="Also train on windows of answerable questions that miss the answer (as HF run_qa).")
    ] = False,
    no_answer_fraction: Annotated[
        float,
        typer.Option(help="Share of the no-answer questions to train on, in (0, 1] (drawn with the seed; 1 = all)."),
    ] = 1.0,
    bf16: Annotated[
        bool | None,
        typer.Option(
            help="bfloat16 mixed precision (default: on where the CPU has AVX512-BF16/AMX or the GPU is Ampere+)."
        ),
    ] = None,
    no_answer_prior: NoAnswerPrior = "train",
    save_every_epoch: Annotated[
        bool, typer.Option(help="Also save OUT-epochN after each epoch, to choose the epoch count on dev.")
    ] = False,
    subjectivity_weight: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Multi-task: weight of a question-subjectivity loss beside the span loss (0 = off).",
        ),
    ] = 0.0,
    answerability_weight: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Weight of an answerability head's loss beside the span loss; the head is kept and read by "
            "the answer decision (0 = no head).",
        ),
    ] = 0.0,
    frozen_layers: Annotated[
        int,
        typer.Option(
            min=0, help="Freeze the embeddings and the lowest N layers: faster steps, fewer weights learned (0 = off)."
        ),
    ] = 0,
    head_lr_multiplier: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="Learning rate of the fresh span head (and any extra head) as a multiple of --lr (1 = one rate).",
        ),
    ] = 1.0,
    weight_average_decay: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.9999,
            help="Save an exponential moving average of the weights with this decay per step instead of the "
            "last step's (0 = off; 0.975 averages about the last 40 steps).",
        ),
    ] = 0.0,
    teacher: Annotated[
        str | None,
        typer.Option(
            help="Distillation: a trained reader whose span scores the new reader also learns (e.g. an MPNet reader)."
        ),
    ] = None,
    distillation_weight: Annotated[
        float, typer.Option(help="Distillation: share of the teacher's loss, in (0, 1]; the gold spans get the rest.")
    ] = 0.5,
    distillation_temperature: Annotated[float, typer.Option(help="Distillation: softmax temperature.")] = 2.0,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0, help="Random seed of the head's initialisation, the shuffling and the no-answer draw (default: 42)."
        ),
    ] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Fine-tune a question-answering reader on SubjQA train splits (domain adaptation)."""
    from qa.data import resolve_subjqa_dir
    from qa.readers.training import TrainingConfig
    from qa.training import train_and_tune

    settings = settings_from(ctx)
    quiet = shared(ctx).quiet
    domain_list = comma_list(domains)
    config = TrainingConfig(
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_examples=max_examples,
        keep_answerless_windows=keep_answerless_windows,
        no_answer_fraction=no_answer_fraction,
        bf16=bf16,
        save_every_epoch=save_every_epoch,
        subjectivity_weight=subjectivity_weight,
        answerability_weight=answerability_weight,
        frozen_layers=frozen_layers,
        head_lr_multiplier=head_lr_multiplier,
        weight_average_decay=weight_average_decay,
        teacher=teacher,
        distillation_weight=distillation_weight,
        distillation_temperature=distillation_temperature,
        **({} if seed is None else {"seed": seed}),
    )
    source_dir = resolve_subjqa_dir(settings, domain_list)
    if folds > 1:
        from qa.training import cross_validate

        work_dir = out or settings.models_dir / "cross-validation"
        cv = cross_validate(
            settings,
            base=base,
            domains=domain_list,
            source_dir=source_dir,
            folds=folds,
            config=config,
            work_dir=work_dir,
            progress=not quiet,
        )
        typer.echo(json.dumps(cv, indent=2))
        return
    report = train_and_tune(
        settings,
        base=base,
        domains=domain_list,
        source_dir=source_dir,
        out_dir=out or settings.default_reader_dir,
        config=config,
        tune_on=None if tune_on == "none" else tune_on,
        progress=not quiet,
        no_answer_prior=no_answer_prior,
    )
    typer.echo(json.dumps(report, indent=2))


@app.command("tune-reader")
def tune_reader(
    model: Annotated[Path | None, typer.Option(help="Reader folder to tune (default: the data dir's reader).")] = None,
    domains: Annotated[str, typer.Option(help="Comma-separated SubjQA domains to tune on.")] = "electronics",
    split: Annotated[str, typer.Option(help="Held-out split (never test).")] = "dev",
    no_answer_prior: NoAnswerPrior = "train",
    *,
    ctx: typer.Context,
) -> None:
    """Fit a trained reader's answer decision and no-answer boost, and choose its fast variant, on a held-out split.

    With `--reranker`, only the answer decision is fitted, for the reader behind that reranker (kept
    beside the plain one); the boost and the fast variant belong to the reader alone and stay as they are.
    """
    from qa.data import resolve_subjqa_dir
    from qa.training import choose_inference_precision, fit_answer_decision
    from qa.training import tune_reader as tune

    settings = settings_from(ctx)
    quiet = shared(ctx).quiet
    domain_list = comma_list(domains)
    model_dir = model or settings.default_reader_dir
    source_dir = resolve_subjqa_dir(settings, domain_list)
    reranked = settings.retrieval.reranked
    report = (
        {}
        if reranked
        else tune(settings, model_dir, domain_list, source_dir, split, not quiet, no_answer_prior=no_answer_prior)
    )
    report["answer_decision"] = fit_answer_decision(
        settings, model_dir, domain_list, source_dir, split, progress=not quiet, no_answer_prior=no_answer_prior
    )
    if not reranked:
        report["inference"] = choose_inference_precision(
            settings, model_dir, domain_list, source_dir, split, progress=not quiet
        )
    typer.echo(json.dumps(report, indent=2))


@app.command()
def quickstart(
    domain: Annotated[str, typer.Option(help="SubjQA domain to index and ask about.")] = "electronics",
    questions: Annotated[int, typer.Option(min=1, help="How many test questions to answer.")] = 5,
    *,
    ctx: typer.Context,
) -> None:
    """Set everything up (index, reader) and answer real test questions about real products."""
    from qa.quickstart import run_quickstart

    settings = settings_from(ctx)
    run_quickstart(settings, domain=domain, n_questions=questions, echo=typer.echo, show=print_result)


feedback_app = typer.Typer(help="User feedback on answers (labels kept beside the index).", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Argument(help="Output file: .jsonl or .csv.")],
    file_format: Annotated[str | None, typer.Option("--format", help="jsonl or csv (default: from suffix).")] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Export every feedback record (answers marked right or wrong in the UI)."""
    from qa.stores.feedback import open_feedback

    store = open_feedback(settings_from(ctx))
    count = store.export(out, file_format=file_format)
    for problem in store.problems:
        typer.echo(problem, err=True)
    typer.echo(f"Exported {count} feedback records from {store.path} to {out}.")


@app.command("ui")
def ui_command(
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default: Streamlit's, 8501).")] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Start the web UI (Streamlit) on 127.0.0.1."""
    import os
    from importlib.util import find_spec

    settings = settings_from(ctx)
    options = shared(ctx)
    spec = find_spec("ui.app")  # located, not imported: the UI is a leaf the CLI only launches
    if spec is None or spec.origin is None:
        raise ReviewQAError("The UI is not installed with this copy of reviewqa (no ui/app.py).")
    app_path = Path(spec.origin)
    env = dict(os.environ, REVIEWQA_DATA_DIR=str(settings.data_dir))
    for variable, value in (("REVIEWQA_READER", options.reader), ("REVIEWQA_DEVICE", options.device)):
        if value is not None:
            env[variable] = value
    argv = [sys.executable, "-m", "streamlit", "run", str(app_path)]
    argv += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.headless", "true"]
    if port is not None:
        argv += ["--server.port", str(port)]
    typer.echo(f"Starting the reviewqa UI (data {settings.data_dir}); stop it with Ctrl+C.")
    sys.stdout.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 - fixed argv, no shell: the UI replaces this process


@app.command("serve")
def serve_command(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (REVIEWQA_API_HOST, default 127.0.0.1; 0.0.0.0: every one).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Port (default REVIEWQA_API_PORT or 8000; 0 = a free one).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Requests answered at once (REVIEWQA_API_WORKERS, default 2).")
    ] = None,
    queue: Annotated[
        int | None,
        typer.Option(min=0, help="Requests that may wait for a worker, beyond: 503 (REVIEWQA_API_QUEUE, default 16)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: debug, info, warning, error.")] = "info",
    *,
    ctx: typer.Context,
) -> None:
    """Start the REST API (FastAPI + uvicorn); the API key, if any, comes from REVIEWQA_API_KEY."""
    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise ReviewQAError(f"--log-level must be debug, info, warning or error, not {log_level!r}.")
    settings = settings_from(
        ctx,
        api_host=host,
        api_port=port,
        api_workers=workers,
        api_queue=queue,
    )
    from qa.rest.serve import serve

    key = "set (REVIEWQA_API_KEY)" if settings.api.key else "none: POST /reviews refused, POST /feedback open"
    typer.echo(f"reviewqa API on {settings.api.host}:{settings.api.port} (data {settings.data_dir}; API key {key}).")
    typer.echo("Docs at /docs, schema at /openapi.json, readiness at /health; stop with Ctrl+C.")
    serve(settings, log_level=log_level)


register_retrieval_commands(app)  # embed, train-retriever (qa/cli/retrieval.py)
register_plugin_commands(app)  # `reviewqa eval` and any other installed command group (qa/cli/plugins.py)
document_shared_options(app)


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 1 (see qa/cli/errors.py)."""
    app()
