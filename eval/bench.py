"""Side-by-side speed of the embedded store: the project against Haystack's stock store and bm25s.

python -m eval.bench                       # sizes 1.9k, 7.3k, 200k, 1M; writes eval/results/bench.{json,md}
python -m eval.bench --sizes 1.9k,7.3k --reader models/reader   # also warm `ask` latency

Every engine runs at every size in its own process (so peak RSS is its own), on the same reviews
and the same questions, in one run:
- **embedded**: the project's store (`qa.stores.embedded`, SQLite) through `EmbeddedBM25Retriever`;
- **stock**: Haystack's `InMemoryDocumentStore` + `InMemoryBM25Retriever` (BM25Okapi), which the
  project's store replaced;
- **bm25s**: the bm25s library (sparse matrices, method "robertson" = Okapi IDF), the product filter
  given as its `weight_mask`; it has no incremental add, so adding reviews means re-indexing.

Sizes beyond SubjQA are synthetic: copies of the four domains' reviews under new product and
review ids (`~c<j>` suffixes), so every product keeps its real reviews and the questions of a copy
are the originals'. Each engine answers the same product-filtered BM25 top-10 queries (SubjQA dev
and test questions, spread over the copies); the stock store answers as many as fit its time budget.
Reported: queries/s, p50/p95 latency, build time, peak RSS, the cost of adding 100 reviews, top-10
agreement with the stock store, and (with --reader) warm `ask` p50/p95 at top-3 reviews / top-3 answers.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eval.results import DEFAULT_RESULTS_DIR, command_line, run_script, script_parser, table, write_result

ENGINES = ("embedded", "stock", "bm25s")
SIZES = {"1.9k": 0, "7.3k": 1, "200k": 28, "1M": 137}  # 0: electronics only; n: n copies of 4 domains
DOMAINS = ("electronics", "grocery", "restaurants", "tripadvisor")


@dataclass(frozen=True)
class Query:
    """One product-filtered question."""

    question: str
    item_id: str


def _corpus(subjqa_dir: Path, copies: int) -> tuple[list[Any], list[Query]]:
    """Reviews (as Documents) and questions of a benchmark size, deterministic."""
    from indexer.documents import review_to_document
    from indexer.sources.subjqa import SPLITS, load_subjqa

    domains = DOMAINS[:1] if copies == 0 else DOMAINS
    parts = [load_subjqa(subjqa_dir, domain, split) for domain in domains for split in SPLITS]
    reviews = list({review_to_document(r).id: r for part in parts for r in part.reviews}.values())
    questions = [q for part in parts if part.split != "train" for q in part.questions]
    random.Random(0).shuffle(questions)  # noqa: S311 (a reproducible order, not a secret)
    copies = max(copies, 1)
    documents = []
    for copy in range(copies):
        for review in reviews:
            if copy:
                review = replace(review, item_id=f"{review.item_id}~c{copy}", review_id=f"{review.review_id}~c{copy}")
            documents.append(review_to_document(review))
    queries = [
        Query(q.question, q.item_id if i % copies == 0 else f"{q.item_id}~c{i % copies}")
        for i, q in enumerate(questions)
    ]
    return documents, queries


def _filters(item_id: str) -> dict[str, Any]:
    from qa.stores.filters import review_filters

    return review_filters(item_id) or {}


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "queries_per_s": len(ordered) / sum(ordered),
        "queries": len(ordered),
    }


def _timed(run: Any, queries: list[Query], budget_s: float) -> tuple[list[float], list[list[str]]]:
    seconds, tops = [], []
    started = time.perf_counter()
    for query in queries:
        begin = time.perf_counter()
        tops.append(run(query))
        seconds.append(time.perf_counter() - begin)
        if time.perf_counter() - started > budget_s and len(seconds) >= 3:
            break
    return seconds, tops


def _new_reviews(documents: list[Any], n: int = 100) -> list[Any]:
    from haystack import Document

    return [Document(content=d.content, meta={**d.meta, "item_id": f"NEW-{i}"}) for i, d in enumerate(documents[:n])]


def _run_embedded(documents: list[Any], queries: list[Query], budget_s: float, reader: str | None) -> dict[str, Any]:
    from qa.retrievers.embedded import EmbeddedBM25Retriever
    from qa.stores.embedded import EmbeddedDocumentStore

    root = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
    try:
        started = time.perf_counter()
        store = EmbeddedDocumentStore(root / "store")
        for start in range(0, len(documents), 10_000):
            store.write_documents(documents[start : start + 10_000])
        build = time.perf_counter() - started
        retriever = EmbeddedBM25Retriever(store, top_k=10)
        retriever.run(query=queries[0].question, filters=_filters(queries[0].item_id))  # warm the statistics
        seconds, tops = _timed(
            lambda q: [d.id for d in retriever.run(query=q.question, filters=_filters(q.item_id))["documents"]],
            queries,
            budget_s,
        )
        begin = time.perf_counter()
        store.write_documents(_new_reviews(documents))
        write_100 = time.perf_counter() - begin
        result: dict[str, Any] = {"build_s": build, "write_100_s": write_100, **_percentiles(seconds), "tops": tops}
        if reader:
            result["ask"] = _ask_latency(root, reader, queries, budget_s)
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _ask_latency(data_dir: Path, reader: str, queries: list[Query], budget_s: float) -> dict[str, Any]:
    """Warm `ReviewQA.ask` latency at top-3 reviews / top-3 answers (the project's whole path)."""
    from dataclasses import replace

    from qa.api import ReviewQA
    from qa.config import Settings

    settings = Settings.from_env()
    api = ReviewQA(replace(settings, data_dir=data_dir, device="cpu", reader=replace(settings.reader, model=reader)))
    api.ask(queries[0].question, item_id=queries[0].item_id, top_k_retriever=3, top_k_reader=3)  # warm: load
    seconds, _ = _timed(
        lambda q: [api.ask(q.question, item_id=q.item_id, top_k_retriever=3, top_k_reader=3)],
        queries[1:],
        budget_s,
    )
    return _percentiles(seconds)


def _run_stock(documents: list[Any], queries: list[Query], budget_s: float, reader: str | None) -> dict[str, Any]:
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    started = time.perf_counter()
    store = InMemoryDocumentStore(bm25_algorithm="BM25Okapi")
    store.write_documents(documents)
    build = time.perf_counter() - started
    retriever = InMemoryBM25Retriever(store, top_k=10)
    seconds, tops = _timed(
        lambda q: [d.id for d in retriever.run(query=q.question, filters=_filters(q.item_id))["documents"]],
        queries,
        budget_s,
    )
    begin = time.perf_counter()
    store.write_documents(_new_reviews(documents))  # in memory only: nothing is persisted
    write_100 = time.perf_counter() - begin
    result: dict[str, Any] = {"build_s": build, "write_100_s": write_100, **_percentiles(seconds), "tops": tops}
    if reader:
        result["ask"] = _stock_ask_latency(retriever, reader, queries, budget_s)
    return result


def _stock_ask_latency(retriever: Any, reader: str, queries: list[Query], budget_s: float) -> dict[str, Any]:
    """The same question path with Haystack's stock ExtractiveReader (same model, top-3 / top-3)."""
    from haystack import Pipeline
    from haystack.utils import ComponentDevice
    from haystack_integrations.components.readers.transformers import TransformersExtractiveReader

    pipeline = Pipeline()
    pipeline.add_component("retriever", retriever)
    pipeline.add_component(
        "reader", TransformersExtractiveReader(model=reader, device=ComponentDevice.from_str("cpu"), top_k=3)
    )
    pipeline.connect("retriever.documents", "reader.documents")

    def ask(q: Query) -> list[str]:
        inputs = {"retriever": {"query": q.question, "filters": _filters(q.item_id), "top_k": 3}}
        pipeline.run({**inputs, "reader": {"query": q.question}})
        return []

    ask(queries[0])
    seconds, _ = _timed(ask, queries[1:], budget_s)
    return _percentiles(seconds)


def _run_bm25s(documents: list[Any], queries: list[Query], budget_s: float, reader: str | None) -> dict[str, Any]:
    import bm25s
    import numpy as np

    from qa.stores.embedded.bm25 import TOKEN_PATTERN

    def index(texts: list[str]) -> Any:
        # Haystack's token pattern and no stopwords/stemming, so the vocabulary matches the others'.
        tokens = bm25s.tokenize(texts, token_pattern=TOKEN_PATTERN, stopwords=None, show_progress=False)
        model = bm25s.BM25(method="robertson")
        model.index(tokens, show_progress=False)
        return model

    texts = [d.content for d in documents]
    started = time.perf_counter()
    model = index(texts)
    by_item: dict[str, list[int]] = {}
    for row, document in enumerate(documents):
        by_item.setdefault(document.meta["item_id"], []).append(row)
    build = time.perf_counter() - started

    def run(q: Query) -> list[str]:
        rows = by_item.get(q.item_id, [])
        if not rows:
            return []
        mask = np.zeros(len(documents), dtype=np.float32)
        mask[rows] = 1.0
        tokens = bm25s.tokenize([q.question], token_pattern=TOKEN_PATTERN, stopwords=None, show_progress=False)
        found, scores = model.retrieve(tokens, k=min(10, len(rows)), weight_mask=mask, show_progress=False, n_threads=1)
        # The mask zeroes other products' scores, so with fewer than k matching reviews bm25s fills
        # the list with score-0 reviews of any product: keep the product's own, then its score-0 ones
        # in store order, as a filter-before-ranking store returns them.
        allowed = set(rows)
        hits = [i for i, score in zip(found[0].tolist(), scores[0].tolist(), strict=True) if i in allowed and score > 0]
        hits += [i for i in rows if i not in set(hits)][: min(10, len(rows)) - len(hits)]
        return [documents[i].id for i in hits]

    seconds, tops = _timed(run, queries, budget_s)
    begin = time.perf_counter()
    index(texts + [d.content for d in _new_reviews(documents)])  # no incremental add in bm25s: re-index
    write_100 = time.perf_counter() - begin
    return {"build_s": build, "write_100_s": write_100, **_percentiles(seconds), "tops": tops}


RUNNERS = {"embedded": _run_embedded, "stock": _run_stock, "bm25s": _run_bm25s}


def worker(engine: str, size: str, subjqa_dir: Path, queries: int, budget_s: float, reader: str | None) -> None:
    """One engine at one size (run in its own process by `main`); prints its result as JSON."""
    documents, questions = _corpus(subjqa_dir, SIZES[size])
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = RUNNERS[engine](documents, questions[:queries], budget_s, reader)
    result.update(
        engine=engine,
        size=size,
        reviews=len(documents),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        corpus_rss_mb=base_rss / 1024,
    )
    print(json.dumps(result))


def _agreement(tops: list[list[str]], reference: list[list[str]]) -> float | None:
    pairs = list(zip(tops, reference, strict=False))
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else None


def _markdown(runs: list[dict[str, Any]]) -> str:
    rows = []
    by_key = {(r["engine"], r["size"]): r for r in runs}
    for run in runs:
        stock = by_key.get(("stock", run["size"]))
        ratio = f"{run['queries_per_s'] / stock['queries_per_s']:.0f}x" if stock else "-"
        agreement = run.get("top10_agreement")
        rows.append(
            [
                run["size"],
                f"{run['reviews']:,}",
                run["engine"],
                f"{run['queries_per_s']:,.1f}",
                ratio,
                f"{run['p50_ms']:.2f}",
                f"{run['p95_ms']:.2f}",
                f"{run['build_s']:.1f}",
                f"{run['write_100_s'] * 1000:,.0f}",
                f"{run['peak_rss_mb']:,.0f}",
                "-" if agreement is None else f"{agreement:.3f} ({run['compared']})",
            ]
        )
    header = ["size", "reviews", "engine", "queries/s", "vs stock", "p50 ms", "p95 ms", "build s", "add 100 ms"]
    text = table([*header, "peak RSS MB", "top-10 = stock"], rows)
    asks = [r for r in runs if "ask" in r]
    if asks:
        text += "\n\nWarm `ask`, top-3 reviews / top-3 answers (BM25 + reader, CPU):\n\n"
        text += table(
            ["size", "engine", "p50 ms", "p95 ms", "questions"],
            [
                [
                    r["size"],
                    r["engine"],
                    f"{r['ask']['p50_ms']:.0f}",
                    f"{r['ask']['p95_ms']:.0f}",
                    str(r["ask"]["queries"]),
                ]
                for r in asks
            ],
        )
    return text


def main(argv: list[str] | None = None) -> None:
    """Run every engine at every size, compare them, write JSON and Markdown."""
    parser = script_parser("eval.bench", __doc__)
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"Comma-separated, of {', '.join(SIZES)}.")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--queries", type=int, default=300, help="Questions per engine and size.")
    parser.add_argument("--budget-s", type=float, default=60.0, help="Time budget per engine, size and phase.")
    parser.add_argument("--reader", default=None, help="A reader to time warm `ask` with (embedded and stock).")
    parser.add_argument("--subjqa-dir", type=Path, default=None)
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    parser.add_argument("--name", default="bench")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from dataclasses import replace

    from qa.config import Settings
    from qa.data import resolve_subjqa_dir

    settings = Settings.from_env()
    subjqa_dir = resolve_subjqa_dir(replace(settings, subjqa_dir=args.subjqa_dir or settings.subjqa_dir), DOMAINS)
    if args.worker:
        worker(args.worker[0], args.worker[1], subjqa_dir, args.queries, args.budget_s, args.reader)
        return
    runs = []
    for size in args.sizes.split(","):
        for engine in args.engines.split(","):
            command = [sys.executable, "-m", "eval.bench", "--worker", engine, size, "--queries", str(args.queries)]
            command += ["--budget-s", str(args.budget_s), "--subjqa-dir", str(subjqa_dir)]
            if args.reader and size in ("1.9k", "7.3k", "1M") and engine != "bm25s":
                command += ["--reader", args.reader]
            print(f"bench: {engine} at {size} ...", file=sys.stderr, flush=True)
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise SystemExit(f"Error: the {engine} run at {size} failed:\n{out.stderr[-2000:]}")
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    for run in runs:
        reference = next((r for r in runs if r["engine"] == "stock" and r["size"] == run["size"]), None)
        run["top10_agreement"] = None if reference is None else _agreement(run["tops"], reference["tops"])
        run["compared"] = 0 if reference is None else min(len(run["tops"]), len(reference["tops"]))
    for run in runs:
        run.pop("tops")
    write_result(
        args.name,
        kind="bench",
        command=command_line("python -m eval.bench", argv),
        config={"sizes": args.sizes, "engines": args.engines, "queries": args.queries, "reader": args.reader},
        metrics=runs,
        markdown=_markdown(runs),
        results_dir=args.results_dir,
    )
    print(_markdown(runs))


if __name__ == "__main__":
    run_script(main)
