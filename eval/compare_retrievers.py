"""Compare retrievers on one SubjQA domain/split: BM25, embedding (MiniLM, MPNet), trained DPR, hybrids.

    python -m eval.compare_retrievers --subjqa-dir ../shared/data/subjqa      # or: reviewqa eval retrievers

Every retriever runs through the project's own pipelines (`ReviewQA.retrieve`, product and split
filters on every query) and is scored by `eval.retriever.evaluate_retriever`. Each encoder gets its
own embedded store holding the split's reviews, so indexing time (writing + embedding) is measured
per encoder; hybrids reuse their dense encoder's store. Writes `<results>/retrievers.{json,md,png}`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eval.plots import plot_recall_curves
from eval.results import add_run_arguments, command_line, run_script, script_parser, table, write_result
from eval.retriever import KS, RetrievalResult, evaluate_retriever
from qa.config import PACKAGED_MINILM, PACKAGED_MPNET, Settings
from qa.errors import DataError, ModelError, ReviewQAError
from qa.retrievers.encoder_models import resolve_encoder_model
from qa.types import Question, RetrievedReview, Review

DEFINITION = "answer_in_document"
NOANS = "answer_in_document_noans_as_hit"
#: The book's numbers (electronics test, answer-in-document, grouped by question+product), k=1/3/5/10.
BOOK = {"bm25": (0.891, 0.955, 0.982, 0.991), "dpr": (0.830, 0.955, 0.979, 0.991)}


@dataclass
class Candidate:
    """One retriever configuration to evaluate."""

    name: str
    retriever: str
    store: str  # candidates with the same store share the indexed (and embedded) reviews
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """One evaluated candidate."""

    candidate: Candidate
    result: RetrievalResult
    index_seconds: float
    embedded: int
    #: For a hybrid tuned on a held-out split: R@1 and MRR there for every BM25 weight tried.
    tuning: dict[str, Any] | None = None


def default_candidates(dpr_models: dict[str, Path], *, mpnet: bool = True) -> list[Candidate]:
    """BM25, MiniLM, MPNet, each trained DPR, and BM25 fused with each dense retriever."""
    dense: list[Candidate] = [
        Candidate("embedding-minilm", "embedding", "minilm", {"embedding_model": PACKAGED_MINILM}),
    ]
    if mpnet:
        dense.append(Candidate("embedding-mpnet", "embedding", "mpnet", {"embedding_model": PACKAGED_MPNET}))
    for label, path in dpr_models.items():
        dense.append(
            Candidate(
                f"dpr-{label}", "dpr", f"dpr-{label}", {"dpr_query_model": str(path), "dpr_document_model": str(path)}
            )
        )
    hybrids = [
        Candidate(
            f"hybrid-bm25+{c.name}",
            "hybrid",
            c.store,
            {**c.overrides, "hybrid_dense": "embedding" if c.retriever == "embedding" else "dpr"},
        )
        for c in dense
    ]
    return [Candidate("bm25", "bm25", "bm25"), *dense, *hybrids]


def _evaluate(
    candidate: Candidate,
    base: Settings,
    work: Path,
    reviews: Sequence[Review],
    questions: Sequence[Question],
    indexed: dict[str, tuple[float, int]],
    progress: bool,
) -> Row:
    from qa.api import ReviewQA

    overrides = dict(candidate.overrides)
    if str(overrides.get("embedding_model", "")).startswith("packaged:"):  # assembled once, in the base data dir
        overrides["embedding_model"] = resolve_encoder_model(overrides["embedding_model"], base).name_or_path
    settings = base.with_overrides(
        data_dir=work / candidate.store, retriever=candidate.retriever, store_backend="embedded", **overrides
    )
    api = ReviewQA(settings)
    if candidate.store not in indexed:
        started = time.perf_counter()
        api.index_reviews(reviews, source="compare", load=_load_report(len(reviews)), progress=False)
        report = api.embed(progress=progress)
        indexed[candidate.store] = (time.perf_counter() - started, report.embedded if report else 0)
    api.pipeline("retrieval").warm_up()  # model loading is not query time

    def retrieve(question: str, item_id: str, split: str, top_k: int) -> list[RetrievedReview]:
        return api.retrieve(question, item_id=item_id, split=split, top_k=top_k)

    result = evaluate_retriever(retrieve, questions, progress=progress)
    seconds, embedded = indexed[candidate.store]
    return Row(candidate, result, seconds, embedded)


#: BM25 weights tried when a hybrid's fusion is tuned (the dense list gets 1 - w).
WEIGHT_GRID = tuple(round(0.1 * i, 1) for i in range(11))


def tune_hybrid_weight(
    candidate: Candidate,
    base: Settings,
    work: Path,
    held_out: Any,
    indexed: dict[str, tuple[float, int]],
    grid: Sequence[float] = WEIGHT_GRID,
    limit: int | None = None,
) -> tuple[float, dict[str, Any]]:
    """The BM25 weight with the best R@1 (then MRR; ties go to the weight nearest 0.5) on `held_out`."""
    scores: dict[float, tuple[float, float]] = {}
    for weight in grid:
        trial = replace(
            candidate,
            store=f"{candidate.store}-{held_out.split}",
            overrides={**candidate.overrides, "hybrid_bm25_weight": weight},
        )
        result = _evaluate(trial, base, work, held_out.reviews, held_out.questions[:limit], indexed, False).result
        scores[weight] = (result.recall[DEFINITION][1], result.mrr[DEFINITION])
    best = max(grid, key=lambda w: (scores[w], -abs(w - 0.5)))
    tuning = {"split": held_out.split, "chosen": best, "r_at_1_and_mrr": {str(w): v for w, v in scores.items()}}
    return best, tuning


def _load_report(rows: int) -> Any:
    from qa.types import LoadReport

    return LoadReport(rows_read=rows)


def _fmt_row(row: Row, definition: str) -> list[str]:
    r = row.result
    return [
        row.candidate.name,
        *(f"{r.recall[definition][k]:.3f}" for k in KS),
        f"{r.mrr[definition]:.3f}",
        f"{r.map[definition]:.3f}",
        f"{row.index_seconds:.1f}",
        f"{1000 * r.seconds_per_query:.1f}",
    ]


def render(rows: Sequence[Row], domain: str, split: str) -> str:
    """The Markdown report: main table (answerable groups), the no-answer-as-hit variant, book targets."""
    header = ["retriever", *(f"R@{k}" for k in KS), "MRR", "MAP", "index s", "ms/query"]
    first = rows[0].result
    parts = [
        f"{domain} {split}, product and split filters on every query. Recall@k = a retrieved review contains "
        f"a gold answer of the (question, product) group; {first.queries[DEFINITION]} answerable groups.",
        "",
        table(header, [_fmt_row(r, DEFINITION) for r in rows]),
        "",
        f"Same, counting the {first.queries[NOANS] - first.queries[DEFINITION]} groups without an answer as hits "
        "(as Haystack 1.x did):",
        "",
        table(header, [_fmt_row(r, NOANS) for r in rows]),
        "",
        "Book (Haystack 1.x, electronics test): BM25 R@1/3/5/10 "
        + "/".join(f"{v:.3f}" for v in BOOK["bm25"])
        + ", DPR "
        + "/".join(f"{v:.3f}" for v in BOOK["dpr"])
        + ". Target: a hybrid with R@1 >= 0.90 and R@3 >= 0.97.",
        "",
        _fusion_note(rows),
        "",
        "index s = writing the split's reviews plus embedding them with the retriever's encoder (hybrids share "
        "their dense encoder's index); ms/query = mean time of one filtered top-20 retrieval.",
    ]
    return "\n".join(parts)


def _fusion_note(rows: Sequence[Row]) -> str:
    tuned = [r.tuning for r in rows if r.tuning]
    if not tuned:
        return "Hybrids: reciprocal rank fusion with equal weights."
    return (
        f"Hybrids: weighted reciprocal rank fusion, the BM25 weight w (dense: 1 - w) chosen on {tuned[0]['split']} "
        f"by R@1, then MRR, from {', '.join(str(w) for w in WEIGHT_GRID)}; w is in the name."
    )


def compare(
    candidates: Sequence[Candidate],
    *,
    base: Settings,
    source_dir: Path,
    domain: str = "electronics",
    split: str = "test",
    limit: int | None = None,
    work_dir: Path | None = None,
    progress: bool = True,
    tune_hybrid_on: str | None = None,
) -> list[Row]:
    """Evaluate every candidate (skipping, with a message, those whose model cannot be loaded).

    With `tune_hybrid_on` (a held-out split, never `split` itself), each hybrid's BM25 weight is
    chosen there first (`tune_hybrid_weight`) and the candidate is evaluated with that weight.
    """
    from indexer.sources.subjqa import load_subjqa

    if tune_hybrid_on is not None and tune_hybrid_on == split:
        raise DataError(f"Tune the hybrid on a held-out split, not on the evaluated one ({split}).")
    held_out = load_subjqa(source_dir, domain, tune_hybrid_on) if tune_hybrid_on else None
    part = load_subjqa(source_dir, domain, split)
    questions = part.questions[:limit]
    rows: list[Row] = []
    indexed: dict[str, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="reviewqa-compare-") as temporary:
        work = work_dir or Path(temporary)
        for candidate in candidates:
            print(f"== {candidate.name}", file=sys.stderr)
            try:
                tuning = None
                if held_out is not None and candidate.retriever == "hybrid":
                    weight, tuning = tune_hybrid_weight(candidate, base, work, held_out, indexed, limit=limit)
                    candidate = replace(
                        candidate,
                        name=f"{candidate.name} (w={weight:.1f})",
                        overrides={**candidate.overrides, "hybrid_bm25_weight": weight},
                    )
                row = _evaluate(candidate, base, work, part.reviews, questions, indexed, progress)
                row.tuning = tuning
                rows.append(row)
            except ModelError as error:
                print(f"   skipped {candidate.name}: {error}", file=sys.stderr)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the comparison and write the result files."""
    parser = script_parser("eval.compare_retrievers", __doc__)
    parser.add_argument("--domain", default="electronics")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N questions (a quick run).")
    parser.add_argument("--data-dir", type=Path, default=None, help="Where trained models are (models/dpr...).")
    parser.add_argument(
        "--dpr",
        action="append",
        default=None,
        metavar="LABEL=PATH",
        help="A trained DPR model to compare (repeatable; default: the data dir's models/dpr if trained).",
    )
    parser.add_argument("--no-mpnet", action="store_true", help="Leave out all-mpnet-base-v2.")
    parser.add_argument(
        "--tune-hybrid-on",
        default=None,
        metavar="SPLIT",
        help="Choose each hybrid's BM25 weight on this held-out split (e.g. dev) first (default: equal weights).",
    )
    parser.add_argument("--only", default=None, help="Comma-separated candidate names to run.")
    parser.add_argument("--work-dir", type=Path, default=None, help="Keep the per-encoder stores here.")
    add_run_arguments(parser, "retrievers")
    args = parser.parse_args(argv)

    from qa.data import resolve_subjqa_dir

    base = Settings.from_env(None, data_dir=args.data_dir, subjqa_dir=args.subjqa_dir, device=args.device)
    source = resolve_subjqa_dir(base, [args.domain])
    if args.dpr:
        dpr_models = {label: Path(path) for label, _, path in (item.partition("=") for item in args.dpr)}
    else:
        dpr_models = {"trained": base.default_dpr_dir} if base.default_dpr_dir.is_dir() else {}
    candidates = default_candidates(dpr_models, mpnet=not args.no_mpnet)
    if args.only:
        wanted = set(args.only.split(","))
        candidates = [c for c in candidates if c.name in wanted]
    try:
        rows = compare(
            candidates,
            base=base,
            source_dir=source,
            domain=args.domain,
            split=args.split,
            limit=args.limit,
            work_dir=args.work_dir,
            progress=not args.quiet,
            tune_hybrid_on=args.tune_hybrid_on,
        )
    except ReviewQAError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    if not rows:
        print("Error: no retriever could be evaluated.", file=sys.stderr)
        return 1
    markdown = render(rows, args.domain, args.split)
    command = command_line("python -m eval.compare_retrievers", argv)
    metrics = {
        r.candidate.name: {
            "retriever": r.candidate.retriever,
            "settings": r.candidate.overrides,
            "index_seconds": round(r.index_seconds, 2),
            "embedded_reviews": r.embedded,
            "result": r.result,
            "tuning": r.tuning,
        }
        for r in rows
    }
    config = {
        "domain": args.domain,
        "split": args.split,
        "limit": args.limit,
        "filters": ["item_id", "split"],
        "ks": list(KS),
        "device": base.device,
        "cpu_count": os.cpu_count(),
        "book": BOOK,
    }
    write_result(
        args.name,
        kind="retrievers",
        command=command,
        config=config,
        metrics=metrics,
        markdown=markdown,
        results_dir=args.results_dir,
    )
    plot_recall_curves(
        {r.candidate.name: r.result.recall[DEFINITION] for r in rows},
        args.results_dir / f"{args.name}.png",
        f"{args.domain} {args.split}: recall@k (answer in review, product filter)",
    )
    print(markdown)
    return 0


if __name__ == "__main__":
    run_script(main)
