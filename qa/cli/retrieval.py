"""Commands of retrieval models: `reviewqa embed`, `train-retriever`, `train-reranker` (registered by qa/cli/app.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qa.cli.options import comma_list, make_api, settings_from, shared
from qa.config import PACKAGED_MINILM

if TYPE_CHECKING:
    from qa.retrievers.embedding_step import EmbedReport


def echo_embed_report(report: EmbedReport | None) -> None:
    """One line about an embed step."""
    if report is None:
        typer.echo("BM25 needs no embeddings.")
        return
    typer.echo(
        f"Embeddings ({report.model}): {report.embedded} reviews embedded in {report.seconds:.1f} s, "
        f"{report.already_embedded} already had them ({report.total} in the store)."
    )


def embed(ctx: typer.Context) -> None:
    """Embed the indexed reviews for a dense retriever (default: embedding; only reviews not embedded yet)."""
    settings = settings_from(ctx, retriever_default="embedding")
    echo_embed_report(make_api(settings).embed(progress=not shared(ctx).quiet))


def train_retriever(
    base: Annotated[str, typer.Option(help="Base encoder: packaged name, hub id or folder.")] = PACKAGED_MINILM,
    domains: Annotated[str, typer.Option(help="Comma-separated SubjQA domains (train split).")] = "electronics",
    encoders: Annotated[str, typer.Option(help="shared (one encoder) or separate (question/review Router).")] = (
        "shared"
    ),
    epochs: Annotated[float, typer.Option(min=0.01)] = 1.0,
    batch_size: Annotated[int, typer.Option(min=2)] = 32,
    learning_rate: Annotated[float, typer.Option("--lr")] = 2e-5,
    max_seq_length: Annotated[int, typer.Option(min=16)] = 256,
    hard_negatives: Annotated[bool, typer.Option(help="Add a BM25 hard negative from the same product.")] = True,
    max_examples: Annotated[int | None, typer.Option(help="Train on the first N questions only.")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after N steps (a quick run).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: the data dir's models/dpr).")] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Train DPR question/review encoders on SubjQA train (in-batch + BM25 hard negatives)."""
    from qa.errors import ReviewQAError
    from qa.retrievers.training import RetrieverTrainingConfig, train_dpr

    if encoders not in ("shared", "separate"):
        raise ReviewQAError(f"--encoders must be shared or separate, not {encoders!r}.")
    domain_list = comma_list(domains)
    config = RetrieverTrainingConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        max_seq_length=max_seq_length,
        hard_negatives=hard_negatives,
        separate=encoders == "separate",
        max_examples=max_examples,
        max_steps=max_steps,
    )
    _train_and_echo(ctx, train_dpr, base=base, domains=domain_list, out=out, config=config)


def train_reranker(
    base: Annotated[
        str,
        typer.Option(
            help="Start from: auto (the data dir's trained reader, else the packaged MiniLM), a packaged name, "
            "hub id or folder."
        ),
    ] = "auto",
    domains: Annotated[str, typer.Option(help="Comma-separated SubjQA domains (train split).")] = "electronics",
    epochs: Annotated[float, typer.Option(min=0.01)] = 1.0,
    batch_size: Annotated[int, typer.Option(min=1)] = 16,
    learning_rate: Annotated[float, typer.Option("--lr")] = 5e-5,
    max_seq_length: Annotated[int, typer.Option(min=16)] = 256,
    negatives: Annotated[int, typer.Option(min=1, help="BM25 hard negatives (same product) per question.")] = 3,
    max_examples: Annotated[int | None, typer.Option(help="Train on the first N questions per domain only.")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after N steps (a quick run).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: the data dir's models/reranker).")] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Train a cross-encoder reranker on SubjQA train (does this review answer the question?)."""
    from qa.retrievers.reranker_training import RerankerTrainingConfig, train_reranker

    domain_list = comma_list(domains)
    config = RerankerTrainingConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        max_seq_length=max_seq_length,
        negatives=negatives,
        max_examples=max_examples,
        max_steps=max_steps,
    )
    _train_and_echo(ctx, train_reranker, base=base, domains=domain_list, out=out, config=config)


def _train_and_echo(
    ctx: typer.Context,
    train: Callable[..., dict[str, Any]],
    *,
    base: str,
    domains: list[str],
    out: Path | None,
    config: Any,
) -> None:
    """Run a training function of `qa.retrievers` on the train split of `domains` and print its report."""
    from qa.data import resolve_subjqa_dir

    settings = settings_from(ctx)
    report = train(
        settings,
        base=base,
        domains=domains,
        source_dir=resolve_subjqa_dir(settings, domains),
        out_dir=out,
        config=config,
        progress=not shared(ctx).quiet,
    )
    typer.echo(json.dumps(report, indent=2))


def register_retrieval_commands(app: typer.Typer) -> None:
    """Add `embed`, `train-retriever` and `train-reranker` to the main CLI."""
    app.command("embed")(embed)
    app.command("train-retriever")(train_retriever)
    app.command("train-reranker")(train_reranker)
