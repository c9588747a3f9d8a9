"""Measure the review consensus on SubjQA: `python -m eval.consensus --data-dir DATA --reader MODEL`.

Every gold (question, product) group of `--domain`/`--split` (questions aggregated as the retriever
evaluation does, `qa.question_groups`) gets `ReviewQA.consensus`: the product's reviews (every split
with `--reviews all`, only the question's split with `--reviews split`), at most `--max-reviews` of
them, best-matching first, are read and grouped.

Definitions (a group is *answerable* when an annotator marked at least one span):
- a quote **matches** the gold when its SQuAD token F1 with some gold answer of the group is at
  least `--match-f1` (0.5);
- **first-group hit**: answerable groups whose first consensus group (the one holding most reviews;
  ties broken by summed decision probability) holds a matching quote; **any-group hit**: some group
  holds one; **label hit**: the first group's label (its medoid quote, what the UI shows first)
  matches;
- **not mentioned on no-answer**: groups without a gold span for which the consensus has no group;
- **balanced**: the mean of first-group hit and not-mentioned-on-no-answer (what `--grid` maximises);
- **single answer hit** (`--baseline`): the headline of `ReviewQA.ask` (BM25 top-3, the answer
  decision; None when it abstains) matches, over the same answerable groups and reviews; **headline
  hit**: the headline the UI shows with the consensus read too (`AskResult.headline_with`: the
  consensus's span when `ask` abstains) matches;
- **latency**: `Consensus.seconds` (retrieval, reading, sentiment, grouping) per group, after one
  warm-up question that loads the models.

`--grid` reads every group once and groups it again (`ReviewQA.regroup`) for each mention and
distance threshold; it reports every point and the one with the best balanced score (run it on dev).
Writes `<results-dir>/<name>.json` and `.md`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.load_test import percentile
from eval.metrics import max_over_golds
from eval.results import add_run_arguments, command_line, run_script, script_parser, table, write_result
from qa.errors import ReviewQAError
from qa.question_groups import QuestionGroup, group_questions
from qa.types import Consensus

MENTION_GRID = (0.2, 0.3, 0.4, 0.5)
DISTANCE_GRID = (0.3, 0.5, 0.7)


@dataclass(frozen=True)
class Scored:
    """One (question, product) group's consensus and how it scores."""

    group: QuestionGroup
    consensus: Consensus
    single_hit: bool | None = None
    headline_hit: bool | None = None


def matches(text: str | None, golds: Sequence[str], threshold: float) -> bool:
    """True when `text` has SQuAD F1 >= threshold with some gold answer (never for no text or no golds)."""
    return bool(text) and bool(golds) and max_over_golds(text, golds)[1] >= threshold


def score(rows: Sequence[Scored], match_f1: float) -> dict[str, Any]:
    """The metrics of the module docstring over `rows`."""
    answerable = [r for r in rows if r.group.answers]
    no_answer = [r for r in rows if not r.group.answers]

    def share(hits: int, of: int) -> float | None:
        return round(hits / of, 4) if of else None

    def first_hit(r: Scored) -> bool:
        groups = r.consensus.groups
        return bool(groups) and any(matches(q.answer.text, r.group.answers, match_f1) for q in groups[0].quotes)

    any_hits = sum(
        any(matches(q.answer.text, r.group.answers, match_f1) for q in r.consensus.quotes) for r in answerable
    )
    first = share(sum(first_hit(r) for r in answerable), len(answerable))
    silent = share(sum(not r.consensus.groups for r in no_answer), len(no_answer))
    seconds = [r.consensus.seconds for r in rows]
    read = [r.consensus.reviews_read for r in rows]
    single = [r.single_hit for r in answerable if r.single_hit is not None]
    headline = [r.headline_hit for r in answerable if r.headline_hit is not None]
    return {
        "groups": len(rows),
        "answerable": len(answerable),
        "no_answer": len(no_answer),
        "first_group_hit": first,
        "any_group_hit": share(any_hits, len(answerable)),
        "label_hit": share(
            sum(
                bool(r.consensus.groups) and matches(r.consensus.groups[0].label, r.group.answers, match_f1)
                for r in answerable
            ),
            len(answerable),
        ),
        "not_mentioned_on_no_answer": silent,
        "balanced": round((first + silent) / 2, 4) if first is not None and silent is not None else None,
        "single_answer_hit": share(sum(single), len(single)) if single else None,
        "headline_hit": share(sum(headline), len(headline)) if headline else None,
        "mean_groups": round(sum(len(r.consensus.groups) for r in rows) / max(len(rows), 1), 3),
        "mean_mentioning": round(sum(r.consensus.mentioning for r in rows) / max(len(rows), 1), 3),
        "reviews_read": {"mean": round(sum(read) / max(len(read), 1), 2), "max": max(read, default=0)},
        "latency_ms": {
            "p50": round(percentile(seconds, 50) * 1000, 1),
            "p95": round(percentile(seconds, 95) * 1000, 1),
            "max": round(max(seconds, default=0.0) * 1000, 1),
        },
    }


def markdown(metrics: dict[str, Any], config: dict[str, Any], grid: list[dict[str, Any]]) -> str:
    """The result as Markdown: the headline table, and the grid when there is one."""

    def cell(value: Any) -> str:
        return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = [
        f"{config['domain']} {config['split']}, reviews: {config['reviews']}, at most {config['max_reviews']} read, "
        f"mention threshold {config['mention_threshold']}, distance threshold {config['distance_threshold']}, "
        f"match: SQuAD F1 >= {config['match_f1']}.",
        "",
        table(
            [
                "groups (answerable / no-answer)",
                "first-group hit",
                "any-group hit",
                "label hit",
                "single answer hit",
                "headline hit (with consensus)",
                "not mentioned on no-answer",
                "reviews read (mean / max)",
                "latency p50 / p95 ms",
            ],
            [
                [
                    f"{metrics['groups']} ({metrics['answerable']} / {metrics['no_answer']})",
                    cell(metrics["first_group_hit"]),
                    cell(metrics["any_group_hit"]),
                    cell(metrics["label_hit"]),
                    cell(metrics["single_answer_hit"]),
                    cell(metrics["headline_hit"]),
                    cell(metrics["not_mentioned_on_no_answer"]),
                    f"{metrics['reviews_read']['mean']} / {metrics['reviews_read']['max']}",
                    f"{metrics['latency_ms']['p50']:,.0f} / {metrics['latency_ms']['p95']:,.0f}",
                ]
            ],
        ),
    ]
    if grid:
        lines += [
            "",
            "Grid (the same reading grouped again for each pair of thresholds):",
            "",
            table(
                [
                    "mention threshold",
                    "distance threshold",
                    "first-group hit",
                    "any-group hit",
                    "not mentioned on no-answer",
                    "balanced",
                    "mean groups",
                ],
                [
                    [
                        str(g["mention_threshold"]),
                        str(g["distance_threshold"]),
                        cell(g["first_group_hit"]),
                        cell(g["any_group_hit"]),
                        cell(g["not_mentioned_on_no_answer"]),
                        cell(g["balanced"]),
                        cell(g["mean_groups"]),
                    ]
                    for g in grid
                ],
            ),
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the evaluation; returns the metrics (also written to the results directory)."""
    import os

    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    from tqdm.auto import tqdm

    from qa.api import ReviewQA
    from qa.config import Settings
    from qa.stores.factory import open_labels

    parser = script_parser("eval.consensus", __doc__)
    add_run_arguments(parser, default_name=None)
    parser.add_argument("--data-dir", type=Path, default=None, help="An indexed data dir (`reviewqa index`).")
    parser.add_argument("--reader", default=None, help="The reader (default: REVIEWQA_READER or the data dir's).")
    parser.add_argument("--domain", default="electronics")
    parser.add_argument("--split", default="test", choices=("train", "dev", "test"))
    parser.add_argument("--reviews", default="all", choices=("all", "split"), help="Every split's reviews, or one.")
    parser.add_argument("--max-reviews", type=int, default=20, help="Reviews read per question at most (1-100).")
    parser.add_argument("--mention-threshold", type=float, default=None, help="Default: the component's.")
    parser.add_argument("--distance-threshold", type=float, default=None, help="Default: the component's.")
    parser.add_argument("--match-f1", type=float, default=0.5, help="SQuAD F1 at which a quote matches a gold.")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N groups.")
    parser.add_argument("--baseline", action="store_true", help="Also score the single headline answer of ask.")
    parser.add_argument("--grid", action="store_true", help="Group again for every threshold pair (tuning).")
    args = parser.parse_args(argv)
    settings = Settings.from_env(data_dir=args.data_dir, reader_model=args.reader, device=args.device)
    api = ReviewQA(settings)
    component = api.consensus_reader
    if args.mention_threshold is not None:
        component.mention_threshold = args.mention_threshold
    if args.distance_threshold is not None:
        component.distance_threshold = args.distance_threshold
    groups = group_questions(open_labels(settings).read(args.domain, args.split))[: args.limit]
    if not groups:
        raise ReviewQAError(f"No gold questions for {args.domain}/{args.split} in {settings.data_dir}: index it first.")
    split = args.split if args.reviews == "split" else None
    api.consensus(groups[0].question, item_id=groups[0].item_id, split=split, max_reviews=args.max_reviews)  # warm up
    rows = []
    for group in tqdm(groups, desc="Consensus", unit="question", disable=args.quiet):
        consensus = api.consensus(group.question, item_id=group.item_id, split=split, max_reviews=args.max_reviews)
        single = shown = None
        if args.baseline and group.answers:
            result = api.ask(group.question, item_id=group.item_id, split=split)
            single = matches(result.headline.text if result.headline else None, group.answers, args.match_f1)
            headline = result.headline_with(consensus).answer
            shown = matches(headline.text if headline else None, group.answers, args.match_f1)
        rows.append(Scored(group, consensus, single, shown))
    metrics = score(rows, args.match_f1)
    grid = []
    if args.grid:
        for mention in MENTION_GRID:
            for distance in DISTANCE_GRID:
                regrouped = [
                    Scored(r.group, api.regroup(r.consensus, mention_threshold=mention, distance_threshold=distance))
                    for r in rows
                ]
                grid.append(
                    {"mention_threshold": mention, "distance_threshold": distance, **score(regrouped, args.match_f1)}
                )
        best = max(grid, key=lambda g: g["balanced"] or 0.0)
        metrics["grid_best"] = {k: best[k] for k in ("mention_threshold", "distance_threshold", "balanced")}
    config = {
        "domain": args.domain,
        "split": args.split,
        "reviews": args.reviews,
        "max_reviews": args.max_reviews,
        "mention_threshold": component.mention_threshold,
        "distance_threshold": component.distance_threshold,
        "match_f1": args.match_f1,
        "reader": settings.reader.model,
        "retriever": settings.retrieval.retriever,
        "limit": args.limit,
        "cpus": os.cpu_count(),
    }
    examples = [
        {
            "question": r.group.question,
            "item_id": r.group.item_id,
            "gold": list(r.group.answers),
            "sentence": r.consensus.sentence,
            "groups": [[g.label, g.reviews, g.sentiment] for g in r.consensus.groups],
        }
        for r in rows[:40]
    ]
    name = args.name or f"consensus-{args.domain}-{args.split}-{args.reviews}"
    command = command_line("python -m eval.consensus", argv)
    text = markdown(metrics, config, grid)
    write_result(
        name,
        kind="consensus",
        command=command.strip(),
        config=config,
        metrics={**metrics, "grid": grid, "examples": examples},
        markdown=text,
        results_dir=args.results_dir,
    )
    print(text)
    print(f"written {args.results_dir / (name + '.json')} and .md")
    return metrics


if __name__ == "__main__":
    run_script(main)
