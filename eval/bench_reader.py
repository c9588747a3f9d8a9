"""Reader speed side by side: the stock TransformersExtractiveReader against the project's variants.

python -m eval.bench_reader --reader models/reader          # electronics test, BM25 top-3 reviews

Every reader reads the same inputs in one run, interleaved question by question: for each
electronics test question (grouped by question and product, as the pipeline evaluation does), the
product's top-3 BM25 reviews. Reported
per reader: passages (reviews) read per second, seconds per question, the speed-up over the stock
reader, and pipeline top-1 F1 (SQuAD 2.0) of the answers, so a faster variant's F1 cost is read off
the same table. The project's variants (`qa.readers.fast`) are fp32 as the reference, windows
grouped by length, bf16 autocast, dynamic int8, OpenVINO (bf16 where the CPU has it), OpenVINO int8
(the model `reviewqa tune-reader` quantised on dev and saved beside the reader; skipped, with a note,
when the folder has none), and int8 with shorter windows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import QAExampleTopK, top_k_scores
from eval.results import DEFAULT_RESULTS_DIR, command_line, run_script, script_parser, table, write_result


@dataclass(frozen=True)
class Variant:
    """One reader configuration to time."""

    name: str
    stock: bool = False
    precision: str = "fp32"
    group_by_length: bool = False
    max_seq_length: int = 384


VARIANTS = (
    Variant("stock TransformersExtractiveReader", stock=True),
    Variant("ReviewReader fp32"),
    Variant("ReviewReader fp32, grouped by length", group_by_length=True),
    Variant("ReviewReader bf16, grouped by length", precision="bf16", group_by_length=True),
    Variant("ReviewReader int8, grouped by length", precision="int8", group_by_length=True),
    Variant("ReviewReader OpenVINO, grouped by length", precision="openvino", group_by_length=True),
    Variant("ReviewReader OpenVINO int8 (NNCF), grouped by length", precision="openvino-int8", group_by_length=True),
    Variant(
        "ReviewReader int8, grouped, 256-token windows", precision="int8", group_by_length=True, max_seq_length=256
    ),
)


def _inputs(subjqa_dir: Path, domain: str, split: str, limit: int | None) -> list[tuple[Any, list[Any]]]:
    """(question group, its product's top-3 BM25 reviews) for every group of `domain`/`split`."""
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    from indexer.documents import review_to_document
    from indexer.sources.subjqa import SPLITS, load_subjqa
    from qa.question_groups import group_questions
    from qa.stores.filters import review_filters

    parts = [load_subjqa(subjqa_dir, domain, s) for s in SPLITS]
    store = InMemoryDocumentStore(bm25_algorithm="BM25Okapi")
    store.write_documents(list({d.id: d for p in parts for d in map(review_to_document, p.reviews)}.values()))
    groups = group_questions(next(p for p in parts if p.split == split).questions)[:limit]
    return [(g, store.bm25_retrieval(g.question, filters=review_filters(g.item_id, split), top_k=3)) for g in groups]


def _reader(variant: Variant, model: str) -> Any:
    from haystack.utils import ComponentDevice
    from haystack_integrations.components.readers.transformers import TransformersExtractiveReader

    from qa.config import ReaderSettings, Settings
    from qa.pipelines.definitions import build_reader

    if variant.stock:
        return TransformersExtractiveReader(model=model, device=ComponentDevice.from_str("cpu"), top_k=3)
    reader = ReaderSettings(
        model=model,
        precision=variant.precision,
        group_by_length=variant.group_by_length,
        max_seq_length=variant.max_seq_length,
    )
    return build_reader(Settings(device="cpu", reader=reader))


def run_variants(variants: Sequence[Variant], model: str, inputs: list[tuple[Any, list[Any]]]) -> list[dict[str, Any]]:
    """Time every reader over `inputs`, interleaved question by question, and score its answers.

    Interleaving (each question read by every reader in turn, the order rotating) gives every
    reader the same share of whatever else the machine is doing, so the ratios are fair.
    """
    readers = [_reader(variant, model) for variant in variants]
    group, documents = inputs[0]
    for reader in readers:
        reader.warm_up()
        reader.run(query=group.question, documents=documents, top_k=3)  # warm
    seconds = [0.0] * len(readers)
    examples: list[list[QAExampleTopK]] = [[] for _ in readers]
    passages = 0
    for position, (group, documents) in enumerate(inputs):
        passages += len(documents)
        for turn in range(len(readers)):
            index = (position + turn) % len(readers)
            started = time.perf_counter()
            answers = readers[index].run(query=group.question, documents=documents, top_k=3)["answers"]
            seconds[index] += time.perf_counter() - started
            examples[index].append(
                QAExampleTopK(
                    question_id=f"{group.item_id}:{group.question}",
                    predictions=tuple(a.data for a in answers),
                    golds=group.answers,
                )
            )
    runs = []
    for variant, spent, scored in zip(variants, seconds, examples, strict=True):
        top1 = top_k_scores(scored, 1)
        runs.append(
            {
                "variant": variant.name,
                "passages_per_s": passages / spent,
                "seconds_per_question": spent / len(inputs),
                "f1": top1.overall.f1,
                "em": top1.overall.em,
                "has_ans_f1": top1.has_ans.f1,
                "questions": len(inputs),
            }
        )
    return runs


def main(argv: list[str] | None = None) -> None:
    """Time every variant on the same inputs; write JSON and Markdown."""
    parser = script_parser("eval.bench_reader", __doc__)
    parser.add_argument("--reader", required=True, help="A trained reader folder (or hub id when online).")
    parser.add_argument("--domain", default="electronics")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None, help="First N question groups only.")
    parser.add_argument("--subjqa-dir", type=Path, default=None)
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    parser.add_argument("--name", default="bench-reader")
    args = parser.parse_args(argv)
    import torch

    from qa.config import Settings
    from qa.data import resolve_subjqa_dir

    settings = Settings.from_env()
    if args.subjqa_dir is not None:
        settings = settings.with_overrides(subjqa_dir=args.subjqa_dir)
    inputs = _inputs(resolve_subjqa_dir(settings, [args.domain]), args.domain, args.split, args.limit)
    from qa.readers.fast import OPENVINO_INT8_DIR

    variants = [
        v
        for v in VARIANTS
        if v.precision != "openvino-int8" or (Path(args.reader) / OPENVINO_INT8_DIR / "model.xml").is_file()
    ]
    if len(variants) < len(VARIANTS):
        print(f"No {OPENVINO_INT8_DIR}/ in {args.reader} (`reviewqa tune-reader` writes it): that variant is skipped.")
    runs = run_variants(variants, args.reader, inputs)
    stock = runs[0]["passages_per_s"]
    reference = runs[1]["f1"]
    rows = [
        [
            r["variant"],
            f"{r['passages_per_s']:.1f}",
            f"{r['passages_per_s'] / stock:.2f}x",
            f"{1000 * r['seconds_per_question']:.0f}",
            f"{r['f1']:.3f}",
            f"{100 * (r['f1'] - reference):+.1f}",
            f"{r['has_ans_f1']:.3f}",
        ]
        for r in runs
    ]
    header = ["reader", "passages/s", "vs stock", "ms/question", "top-1 F1", "F1 pts vs fp32", "HasAns F1"]
    markdown = (
        f"{args.domain} {args.split}, {len(inputs)} question groups x BM25 top-3 reviews, "
        f"CPU ({torch.get_num_threads()} threads).\n\n" + table(header, rows)
    )
    write_result(
        args.name,
        kind="bench-reader",
        command=command_line("python -m eval.bench_reader", argv),
        config={"reader": args.reader, "domain": args.domain, "split": args.split, "limit": args.limit},
        metrics=runs,
        markdown=markdown,
        results_dir=args.results_dir,
    )
    print(markdown)


if __name__ == "__main__":
    run_script(main)
