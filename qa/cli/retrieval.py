"""Commands of dense retrieval: `reviewqa embed` and `reviewqa train-retriever` (registered by qa/cli/app.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    from qa.data import resolve_subjqa_dir
    from qa.errors import ReviewQAError
    from qa.retrievers.training import RetrieverTrainingConfig, train_dpr

    if encoders not in ("shared", "separate"):
        raise ReviewQAError(f"--encoders must be shared or separate, not {encoders!r}.")
    settings = settings_from(ctx)
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
    report = train_dpr(
        settings,
        base=base,
        domains=domain_list,
        source_dir=resolve_subjqa_dir(settings, domain_list),
        out_dir=out,
        config=config,
        progress=not shared(ctx).quiet,
    )
    typer.echo(json.dumps(report, indent=2))


def register_retrieval_commands(app: typer.Typer) -> None:
    """Add `embed` and `train-retriever` to the main CLI."""
    app.command("embed")(embed)
    app.command("train-retriever")(train_retriever)
