"""`reviewqa eval ...`: run an evaluation, print it, and write eval/results/<name>.{json,md,png}."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from eval.sas import PairScorer, SasScore
from qa.cli.options import make_api, settings_from, shared

eval_app = typer.Typer(help="Evaluate retrievers, readers and pipelines on gold labels.", no_args_is_help=True)

Domain = Annotated[str, typer.Option(help="SubjQA domain (indexed).")]
Split = Annotated[str, typer.Option(help="Split whose questions are asked.")]
Limit = Annotated[int | None, typer.Option(min=1, help="Only the first N questions (a quick run).")]
Name = Annotated[str | None, typer.Option(help="Result name (file stem in the results dir).")]
ResultsDir = Annotated[Path, typer.Option(help="Where result files are written.")]
SasModel = Annotated[
    str | None,
    typer.Option(
        "--sas-model",
        help="Model of the semantic answer similarity (Haystack SASEvaluator): hub id, folder or packaged "
        "name (default: packaged:all-MiniLM-L6-v2, or REVIEWQA_SAS_MODEL); 'none' skips SAS.",
    ),
]
RESULTS = Path("eval/results")


def _command() -> str:
    from eval.results import command_line

    return command_line("reviewqa")


def _squad_rows(label: str, breakdown: Any) -> list[list[str]]:
    parts = [("overall", breakdown.overall), ("HasAns", breakdown.has_ans), ("NoAns", breakdown.no_ans)]
    parts += sorted(breakdown.by_group.items())
    return [[label, part, str(s.count), f"{s.em:.3f}", f"{s.f1:.3f}"] for part, s in parts]


def _similarity(settings: Any, sas_model: str | None) -> tuple[PairScorer, str] | None:
    """The SAS pair scorer and its name, or None when the user turned SAS off."""
    if sas_model == "none":
        return None
    from qa.similarity import AnswerSimilarity

    name = sas_model or settings.eval.sas_model
    return AnswerSimilarity(settings, name).pair_scores, name


def _sas_table(sas: SasScore | None) -> str:
    if sas is None:
        return ""
    from eval.results import table

    rows = [[f"`{sas.model}`", f"{sas.overall:.3f}", f"{sas.has_ans:.3f}", f"{sas.no_ans:.3f}"]]
    return "\n\nTop-1 semantic answer similarity (SAS; abstaining scores 1 on NoAns, 0 on HasAns):\n\n" + table(
        ["SAS model", "overall", "HasAns", "NoAns"], rows
    )


def _calibration_table(calibration: dict | None) -> str:
    if not calibration:
        return ""
    from eval.results import table

    rows = [
        [
            f"{row['low']:.1f}-{row['high']:.1f}",
            str(row["count"]),
            f"{row['mean_probability']:.3f}",
            f"{row['observed']:.3f}",
        ]
        for row in calibration["reliability"]
    ]
    heading = (
        f"\n\nAnswer decision: answered {calibration['answered_share']:.1%} of groups; "
        f"ECE {calibration['ece']:.3f} (event: the span beats abstaining, weighted by the F1 at stake):\n\n"
    )
    return heading + table(["probability", "groups", "mean probability", "observed"], rows)


def _reader_name(settings: Any) -> str:
    from qa.readers.model_files import resolve_reader

    return Path(resolve_reader(settings).name_or_path).name


@eval_app.command("retriever")
def eval_retriever(
    domain: Domain = "electronics",
    split: Split = "test",
    limit: Limit = None,
    name: Name = None,
    results_dir: ResultsDir = RESULTS,
    definition: Annotated[
        str,
        typer.Option(
            help="project: the project's definitions over the indexed store; book: the book's table under the "
            "Hugging Face subjqa rules (eval/book_retrieval.py), BM25 over a store of its own.",
        ),
    ] = "project",
    *,
    ctx: typer.Context,
) -> None:
    """Recall@k (k=1,3,5,10,20), MRR and MAP, with product and split filters on every query."""
    from eval.plots import plot_recall_curves
    from eval.results import table, write_result
    from eval.retriever import KS, evaluate_retriever
    from qa.stores.factory import open_labels
    from qa.types import RetrievedReview

    settings = settings_from(ctx)
    quiet = shared(ctx).quiet
    if definition == "book":
        _eval_book_retriever(settings, domain, split, name, results_dir)
        return
    if definition != "project":
        raise typer.BadParameter(f"--definition must be project or book, not {definition!r}.")
    api = make_api(settings)
    questions = open_labels(settings).read(domain, split)[:limit]

    def retrieve(question: str, item_id: str, split_: str, top_k: int) -> list[RetrievedReview]:
        return api.retrieve(question, item_id=item_id, split=split_, top_k=top_k)

    result = evaluate_retriever(retrieve, questions, progress=not quiet)
    rows = [
        [
            definition,
            str(n),
            *(f"{result.recall[definition][k]:.3f}" for k in KS),
            f"{result.mrr[definition]:.3f}",
            f"{result.map[definition]:.3f}",
        ]
        for definition, n in result.queries.items()
    ]
    markdown = table(["definition", "queries", *(f"R@{k}" for k in KS), "MRR", "MAP"], rows)
    name = name or f"retriever-{_retriever_label(settings)}-{domain}-{split}"
    config = {
        "retriever": settings.retrieval.retriever,
        **_reranker_config(settings),
        "domain": domain,
        "split": split,
        "limit": limit,
        "filters": ["item_id", "split"],
    }
    write_result(
        name,
        kind="retriever",
        command=_command(),
        config=config,
        metrics=result,
        markdown=markdown,
        results_dir=results_dir,
    )
    plot_recall_curves(
        {_retriever_label(settings): result.recall["answer_in_document"]},
        results_dir / f"{name}.png",
        f"{domain} {split}: recall@k (answer in review)",
    )
    typer.echo(f"retriever={_retriever_label(settings)} domain={domain} split={split} (product and split filters)")
    typer.echo(markdown)


def _retriever_label(settings: Any) -> str:
    """The retriever's name in result names: "bm25", or "bm25+reranker" with a cross-encoder."""
    retriever = settings.retrieval.retriever
    return f"{retriever}+reranker" if settings.retrieval.reranked else retriever


def _reader_config(api: Any, settings: Any) -> dict[str, Any]:
    """The reader part of a result's config: where its decision was fitted, the inference variant it read
    with (the `tune-reader` choice or `REVIEWQA_READER_PRECISION`) and its sentence encoder by name
    (`packaged:all-MiniLM-L6-v2`, not the machine's resolved folder: the one the decision was fitted with,
    else the configured one; None: the decision does not read it)."""
    from qa.pipelines.definitions import similarity_encoder

    decision = api.reader.answer_decision
    return {
        "answer_decision": decision.fitted_on,
        "reader_precision": api.reader.precision,
        "similarity_model": similarity_encoder(settings, decision),
    }


def _reranker_config(settings: Any) -> dict[str, Any]:
    """The reranker part of a result's config (nothing without one): its identity and candidate count."""
    from qa.retrievers.reranker import reranker_identity

    if not settings.retrieval.reranked:
        return {}
    return {"reranker": reranker_identity(settings), "rerank_candidates": settings.retrieval.rerank_candidates}


def _eval_book_retriever(settings: Any, domain: str, split: str, name: str | None, results_dir: Path) -> None:
    """`eval retriever --definition book`: the book's recall@k table, beside its published row."""
    from eval.book_retrieval import BOOK_BM25_RECALL, book_rankings, lucene_book_rankings
    from eval.metrics import mean_reciprocal_rank, recall_at_k
    from eval.results import table, write_result
    from eval.retriever import KS
    from qa.data import resolve_subjqa_dir

    if settings.retrieval.retriever != "bm25":
        raise typer.BadParameter("--definition book runs BM25, as the book's Elasticsearch did: use --retriever bm25.")
    source_dir = resolve_subjqa_dir(settings, [domain])
    rankings = book_rankings(settings, source_dir, domain, split, max(KS))
    lucene = lucene_book_rankings(source_dir, domain, split, max(KS))
    recall, lucene_recall = recall_at_k(rankings, KS), recall_at_k(lucene, KS)
    rows = [
        ["HF subjqa rules, project BM25", str(len(rankings)), *(f"{recall[k]:.3f}" for k in KS)],
        ["HF subjqa rules, Lucene BM25 (bm25s)", str(len(lucene)), *(f"{lucene_recall[k]:.3f}" for k in KS)],
        [
            "book, BM25 (Elasticsearch)",
            "",
            *(f"{BOOK_BM25_RECALL[k]:.3f}" if k in BOOK_BM25_RECALL else "—" for k in KS),
        ],
    ]
    markdown = table(["definition", "queries", *(f"R@{k}" for k in KS)], rows)
    write_result(
        name or f"retriever-book-{domain}-{split}",
        kind="retriever",
        command=_command(),
        config={"definition": "book", "retriever": "bm25", "domain": domain, "split": split},
        metrics={
            "queries": len(rankings),
            "recall": recall,
            "mrr": mean_reciprocal_rank(rankings),
            "lucene_bm25": {"recall": lucene_recall, "mrr": mean_reciprocal_rank(lucene)},
        },
        markdown=markdown,
        results_dir=results_dir,
    )
    typer.echo(f"book definition (eval/book_retrieval.py): domain={domain} split={split}")
    typer.echo(markdown)


@eval_app.command("reader")
def eval_reader(
    domain: Domain = "electronics",
    split: Split = "test",
    limit: Limit = None,
    name: Name = None,
    results_dir: ResultsDir = RESULTS,
    sas_model: SasModel = None,
    *,
    ctx: typer.Context,
) -> None:
    """SQuAD 2.0 EM/F1 (and SAS) of the reader alone (gold review given): overall, HasAns, NoAns, by subjectivity."""
    from eval.metrics import QAExampleTopK, top_k_scores
    from eval.plots import plot_score_bars
    from eval.reader import predict_isolated, score_predictions, score_similarity
    from eval.results import table, write_result
    from qa.stores.factory import open_labels

    settings = settings_from(ctx)
    quiet = shared(ctx).quiet
    api = make_api(settings)
    similarity = _similarity(settings, sas_model)
    questions = open_labels(settings).read(domain, split)[:limit]
    predictions = predict_isolated(api.reader, questions, progress=not quiet)
    top1 = score_predictions(questions, predictions)
    golds = {q.question_id: q.gold_texts for q in questions}
    top3 = top_k_scores([QAExampleTopK(p.question_id, p.answers, golds[p.question_id]) for p in predictions], 3)
    sas = None if similarity is None else score_similarity(questions, predictions, similarity[0], model=similarity[1])
    model = _reader_name(settings)
    name = name or f"reader-{model}-{domain}-{split}"
    rows = _squad_rows("top-1", top1) + _squad_rows("top-3", top3)[:3]
    markdown = table(["answers", "part", "questions", "EM", "F1"], rows) + _sas_table(sas)
    config = {
        "reader": api.reader.model_name_or_path,
        "no_answer_boost": api.reader.no_answer_boost,
        **_reader_config(api, settings),
        "max_answer_tokens": api.reader.max_answer_tokens,
        "domain": domain,
        "split": split,
        "limit": limit,
    }
    write_result(
        name,
        kind="reader",
        command=_command(),
        config=config,
        metrics={"top1": top1, "top3": top3, "sas": sas},
        markdown=markdown,
        results_dir=results_dir,
    )
    plot_score_bars(
        {model: {"overall": top1.overall.f1, "HasAns": top1.has_ans.f1, "NoAns": top1.no_ans.f1}},
        results_dir / f"{name}.png",
        f"reader F1, {domain} {split}",
        ["overall", "HasAns", "NoAns"],
    )
    typer.echo(markdown)


@eval_app.command("pipeline")
def eval_pipeline(
    domain: Domain = "electronics",
    split: Split = "test",
    limit: Limit = None,
    name: Name = None,
    top_k_retriever: Annotated[
        int | None, typer.Option(min=1, help="Reviews per question (default: the configured top-k, 3).")
    ] = None,
    results_dir: ResultsDir = RESULTS,
    sas_model: SasModel = None,
    *,
    ctx: typer.Context,
) -> None:
    """Retriever top-k feeding the reader: top-1 and top-3 EM/F1 (and top-1 SAS) with the same breakdowns."""
    from eval.pipeline import evaluate_pipeline
    from eval.results import table, write_result
    from qa.stores.factory import open_labels
    from qa.types import AskResult

    settings = settings_from(ctx)
    quiet = shared(ctx).quiet
    api = make_api(settings)
    questions = open_labels(settings).read(domain, split)[:limit]
    top_k_retriever = top_k_retriever or settings.retrieval.top_k

    def ask(question: str, item_id: str, split_: str) -> AskResult:
        return api.ask(question, item_id=item_id, split=split_, top_k_retriever=top_k_retriever, top_k_reader=3)

    result = evaluate_pipeline(ask, questions, similarity=_similarity(settings, sas_model), progress=not quiet)
    model = _reader_name(settings)
    name = name or f"pipeline-{_retriever_label(settings)}{top_k_retriever}-{model}-{domain}-{split}"
    markdown = (
        table(
            ["answers", "part", "groups", "EM", "F1"],
            _squad_rows("top-1", result.top1) + _squad_rows("top-3", result.top3)[:3],
        )
        + _sas_table(result.sas)
        + _calibration_table(result.calibration)
    )
    config = {
        **_reader_config(api, settings),
        "retriever": settings.retrieval.retriever,
        **_reranker_config(settings),
        "top_k_retriever": top_k_retriever,
        "reader": model,
        "domain": domain,
        "split": split,
        "limit": limit,
    }
    write_result(
        name,
        kind="pipeline",
        command=_command(),
        config=config,
        metrics=result,
        markdown=markdown,
        results_dir=results_dir,
    )
    typer.echo(markdown)


_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def _exit_with(code: int) -> None:
    if code:
        raise typer.Exit(code)


@eval_app.command("retrievers", context_settings=_PASS_THROUGH)
def eval_retrievers(ctx: typer.Context) -> None:
    """Compare BM25, MiniLM, MPNet, trained DPR and hybrids (options: `python -m eval.compare_retrievers -h`)."""
    from eval.compare_retrievers import main as compare_main

    _exit_with(compare_main(ctx.args))


@eval_app.command("readers", context_settings=_PASS_THROUGH)
def eval_readers(ctx: typer.Context) -> None:
    """Choose among trained readers and no-answer priors on dev, report test (`python -m eval.reader_study -h`)."""
    from eval.reader_study import main as study_main

    _exit_with(study_main(ctx.args))


@eval_app.command("report")
def eval_report(results_dir: ResultsDir = RESULTS) -> None:
    """The table of every result in the results dir, plus combined plots."""
    from eval.plots import plot_recall_curves, plot_score_bars
    from eval.results import load_results, table

    results = load_results(results_dir)
    if not results:
        typer.echo(f"No results in {results_dir}. Run `reviewqa eval retriever|reader|pipeline` first.")
        return
    rows, curves, bars = [], {}, {}
    for r in results:
        m = r["metrics"]
        if r["kind"] == "retriever":
            recall = {int(k): v for k, v in m["recall"]["answer_in_document"].items()}
            curves[r["name"]] = recall
            summary = "R@1/3/5/10 " + "/".join(f"{recall[k]:.3f}" for k in (1, 3, 5, 10))
        elif r["kind"] in ("reader", "pipeline"):
            top1 = m["top1"]
            bars[r["name"]] = {
                p: top1[k]["f1"] for p, k in (("overall", "overall"), ("HasAns", "has_ans"), ("NoAns", "no_ans"))
            }
            summary = (
                f"top-1 EM/F1 {top1['overall']['em']:.3f}/{top1['overall']['f1']:.3f}, "
                f"HasAns F1 {top1['has_ans']['f1']:.3f}, NoAns F1 {top1['no_ans']['f1']:.3f}"
            )
            if m.get("sas"):
                summary += f", SAS {m['sas']['overall']:.3f} (HasAns {m['sas']['has_ans']:.3f})"
        else:
            summary = ", ".join(f"{k}={v}" for k, v in m.items() if isinstance(v, int | float))
        rows.append([r["name"], r["kind"], summary, f"`{r['command']}`"])
    typer.echo(table(["result", "kind", "summary", "command"], rows))
    if curves:
        plot_recall_curves(curves, results_dir / "report-recall.png", "recall@k (answer in review)")
    if bars:
        plot_score_bars(bars, results_dir / "report-f1.png", "top-1 F1", ["overall", "HasAns", "NoAns"])
