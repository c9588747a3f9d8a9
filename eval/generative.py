"""Measure generative QA on SubjQA: `python -m eval.generative --limit 40`.

Two contexts per question: the gold review alone ("gold", the generator in isolation) and the top-3
BM25 reviews of the product ("bm25", the whole generative pipeline). A reply that says the reviews
don't answer ("I don't know", ...; the one rule is `qa.pipelines.generative.is_no_answer`) is the
no-answer prediction; any other reply is the answer, scored with SQuAD EM/F1 against every gold
span (`eval.metrics.max_over_golds`). Generated sentences are longer than SubjQA's short spans, so
F1 is low even for right answers; `gold recall` (share of a gold answer's tokens found in the reply,
best over golds) shows whether the answer is in there. On no-answer questions we report how often
the generator answered anyway.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haystack import Document
from tqdm.auto import tqdm

from eval.metrics import QAExample, get_tokens, max_over_golds, squad_scores
from eval.results import add_run_arguments, command_line, run_script, script_parser, table, write_result
from qa.pipelines.generative import PROMPT_TEMPLATE, is_no_answer
from qa.types import Question

CONTEXTS = ("gold", "bm25")


@dataclass(frozen=True)
class GenerativePrediction:
    """One generated reply and how it scores."""

    question_id: str
    context: str
    reply: str
    prediction: str | None
    golds: tuple[str, ...]
    em: float
    f1: float
    gold_recall: float
    gold_review_given: bool
    seconds: float


def gold_recall(prediction: str | None, golds: tuple[str, ...]) -> float:
    """Share of a gold answer's tokens that appear in the prediction, best over golds (0 if either is empty)."""
    predicted = Counter(get_tokens(prediction or ""))
    best = 0.0
    for gold in golds:
        tokens = Counter(get_tokens(gold))
        if tokens and predicted:
            best = max(best, sum((tokens & predicted).values()) / sum(tokens.values()))
    return best


def _score(q: Question, context: str, reply: str, given: bool, seconds: float) -> GenerativePrediction:
    golds = q.gold_texts
    prediction = None if is_no_answer(reply) else reply.strip()
    em, f1 = max_over_golds(prediction, golds)
    return GenerativePrediction(
        question_id=q.question_id,
        context=context,
        reply=reply,
        prediction=prediction,
        golds=golds,
        em=em,
        f1=f1,
        gold_recall=gold_recall(prediction, golds),
        gold_review_given=given,
        seconds=seconds,
    )


def summarise(questions: list[Question], predictions: list[GenerativePrediction]) -> dict[str, Any]:
    """SQuAD EM/F1 (overall, HasAns, NoAns), gold recall, and answer/abstain rates."""
    by_id = {q.question_id: q for q in questions}
    breakdown = squad_scores(
        [QAExample(p.question_id, p.prediction, p.golds, by_id[p.question_id].domain) for p in predictions]
    )
    has_ans = [p for p in predictions if p.golds]
    no_ans = [p for p in predictions if not p.golds]
    return {
        "questions": len(predictions),
        "em": breakdown.overall.em,
        "f1": breakdown.overall.f1,
        "has_ans": {"count": len(has_ans), "em": breakdown.has_ans.em, "f1": breakdown.has_ans.f1},
        "no_ans": {"count": len(no_ans), "em": breakdown.no_ans.em, "f1": breakdown.no_ans.f1},
        "gold_recall_has_ans": sum(p.gold_recall for p in has_ans) / len(has_ans) if has_ans else 0.0,
        "answered_when_gold_says_no_answer": (
            sum(p.prediction is not None for p in no_ans) / len(no_ans) if no_ans else 0.0
        ),
        "abstained_when_answerable": (sum(p.prediction is None for p in has_ans) / len(has_ans) if has_ans else 0.0),
        "gold_review_given": sum(p.gold_review_given for p in predictions) / len(predictions) if predictions else 0.0,
        "seconds_per_question": sum(p.seconds for p in predictions) / len(predictions) if predictions else 0.0,
    }


def markdown_table(metrics: dict[str, dict[str, Any]]) -> str:
    """One row per context."""
    rows = [
        [
            context,
            str(m["questions"]),
            f"{m['em']:.3f}",
            f"{m['f1']:.3f}",
            f"{m['has_ans']['f1']:.3f} ({m['has_ans']['count']})",
            f"{m['gold_recall_has_ans']:.3f}",
            f"{m['answered_when_gold_says_no_answer']:.3f} ({m['no_ans']['count']})",
            f"{m['abstained_when_answerable']:.3f}",
            f"{m['gold_review_given']:.2f}",
            f"{m['seconds_per_question']:.1f}",
        ]
        for context, m in metrics.items()
    ]
    header = [
        "context",
        "questions",
        "EM",
        "F1",
        "HasAns F1 (n)",
        "HasAns gold recall",
        "answered on NoAns (n)",
        "abstained on HasAns",
        "gold review in context",
        "s/question",
    ]
    return table(header, rows)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Index the split in a scratch data dir (unless given), generate, score, write the result files."""
    import os

    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    from qa.api import ReviewQA
    from qa.config import Settings
    from qa.data import resolve_subjqa_dir
    from qa.stores.factory import open_labels

    scratch = None
    data_dir = args.data_dir
    if data_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="reviewqa-eval-")
        data_dir = Path(scratch.name)
    settings = Settings.from_env(
        data_dir=data_dir, subjqa_dir=args.subjqa_dir, generator_model=args.generator, device=args.device
    )
    api = ReviewQA(settings)
    labels = open_labels(settings)
    if (args.domain, args.split) not in labels.available():
        source = resolve_subjqa_dir(settings, [args.domain])
        api.index_subjqa([args.domain], source_dir=source, splits=[args.split], progress=False)
    questions = labels.read(args.domain, args.split)[: args.limit]
    contexts = [c for c in args.contexts.split(",") if c]
    generator = api.nlp.generator
    from haystack.components.builders import ChatPromptBuilder

    prompt_builder = ChatPromptBuilder(template=PROMPT_TEMPLATE, required_variables=["query", "documents"])
    predictions: dict[str, list[GenerativePrediction]] = {c: [] for c in contexts}
    for q in tqdm(questions, desc="Generating", unit="question", disable=args.quiet):
        if "gold" in contexts:
            started = time.perf_counter()
            prompt = prompt_builder.run(query=q.question, documents=[Document(content=q.review_text)])["prompt"]
            reply = generator.run(messages=prompt)["replies"][0].text or ""
            predictions["gold"].append(_score(q, "gold", reply, True, time.perf_counter() - started))
        if "bm25" in contexts:
            started = time.perf_counter()
            result = api.ask(
                q.question, item_id=q.item_id, split=q.split, top_k_retriever=args.top_k, mode="generative"
            )
            given = any(r.review.review_id == q.review_id for r in result.reviews)
            best = result.best
            reply = best.text if best is not None and best.text is not None else "I don't know."
            predictions["bm25"].append(_score(q, "bm25", reply, given, time.perf_counter() - started))
    metrics = {c: summarise(questions, predictions[c]) for c in contexts}
    markdown = markdown_table(metrics)
    model = settings.nlp.generator_model if settings.nlp.generator_model != "auto" else "smollm2"
    name = args.name or f"generative-{Path(model).name.lower()}"
    command = command_line("python -m eval.generative")
    config = {
        "generator": generator.model,
        "domain": args.domain,
        "split": args.split,
        "limit": args.limit,
        "top_k_retriever": args.top_k,
        "contexts": contexts,
        "no_answer_rule": "qa.pipelines.generative.is_no_answer",
        "decoding": {"do_sample": generator.do_sample, "max_new_tokens": generator.max_new_tokens},
    }
    examples = {c: [p.__dict__ for p in predictions[c]] for c in contexts}
    write_result(
        name,
        kind="generative",
        command=command,
        config=config,
        metrics={"by_context": metrics, "predictions": examples},
        markdown=markdown,
        results_dir=args.results_dir,
    )
    if scratch is not None:
        scratch.cleanup()
    print(markdown)
    print(f"written {args.results_dir / (name + '.json')} and .md")
    return metrics


def rescore(path: Path) -> dict[str, Any]:
    """Score a previous run's stored replies again with the current no-answer rule (no generation).

    The result files keep every raw reply, so a change of `is_no_answer` is measured without
    generating again; the JSON and Markdown are rewritten with the new numbers.
    """
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    stored = data["metrics"]["predictions"]
    questions: list[Question] = []
    predictions: dict[str, list[GenerativePrediction]] = {}
    for context, rows in stored.items():
        predictions[context] = []
        for row in rows:
            q = Question(
                question_id=row["question_id"],
                question="",
                item_id="",
                review_id="",
                review_text="",
                domain=data["config"]["domain"],
                split=data["config"]["split"],
            )
            golds = tuple(row["golds"])
            prediction = None if is_no_answer(row["reply"]) else row["reply"].strip()
            em, f1 = max_over_golds(prediction, golds)
            predictions[context].append(
                GenerativePrediction(
                    **{
                        **row,
                        "golds": golds,
                        "prediction": prediction,
                        "em": em,
                        "f1": f1,
                        "gold_recall": gold_recall(prediction, golds),
                    }
                )
            )
            questions.append(q)
    unique = list({q.question_id: q for q in questions}.values())
    metrics = {c: summarise(unique, predictions[c]) for c in predictions}
    markdown = markdown_table(metrics)
    command = data["command"] + "  # rescored: python -m eval.generative --rescore " + str(path)
    write_result(
        data["name"],
        kind="generative",
        command=command,
        config={**data["config"], "rescored": True},
        metrics={"by_context": metrics, "predictions": {c: [p.__dict__ for p in ps] for c, ps in predictions.items()}},
        markdown=markdown,
        results_dir=path.parent,
    )
    print(markdown)
    return metrics


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = script_parser("eval.generative", __doc__)
    parser.add_argument("--limit", type=int, default=40, help="first N questions of the split")
    parser.add_argument("--domain", default="electronics")
    parser.add_argument("--split", default="test")
    parser.add_argument("--contexts", default="gold,bm25", help="comma-separated: gold, bm25")
    parser.add_argument("--top-k", type=int, default=3, help="reviews retrieved for the bm25 context")
    parser.add_argument("--generator", default=None, help="generator model (default: settings, auto = SmolLM2)")
    parser.add_argument("--data-dir", type=Path, default=None, help="indexed data dir (default: a scratch one)")
    add_run_arguments(parser, None)  # --name default: generative-<model>
    parser.add_argument("--rescore", type=Path, default=None, help="score a result JSON's stored replies again")
    args = parser.parse_args(argv)
    if args.rescore is not None:
        rescore(args.rescore)
        return
    unknown = [c for c in args.contexts.split(",") if c and c not in CONTEXTS]
    if unknown:
        parser.error(f"unknown context(s) {unknown}: choose from {CONTEXTS}")
    run(args)


if __name__ == "__main__":
    run_script(main)
