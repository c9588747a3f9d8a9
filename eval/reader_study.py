"""Reader study: choose a reader and its no-answer threshold on dev, then report test.

    python -m eval.reader_study --reader electronics-1ep=DIR --reader 4domains-2ep=DIR ...
    (or: reviewqa eval readers ...)

Each reader reads the dev and test questions of `--domain` once. For each no-answer prior
(`held-out`: dev's own mix; `train`: the train split's mix) the boost is tuned on dev
(`eval.reader.tune_no_answer_boost`) and top-1 EM/F1 are scored on dev and on test at that boost.
The configuration with the best tuned dev F1 is marked as chosen, per prior: test numbers are
reported, never used to choose. Writes `<results>/<name>.{json,md,png}`.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eval.metrics import SquadBreakdown
from eval.plots import plot_score_bars
from eval.reader import at_boost, predict_isolated, score_predictions, tune_no_answer_boost
from eval.results import add_run_arguments, command_line, run_script, script_parser, table, write_result
from indexer.sources.subjqa import load_subjqa
from qa.config import Settings
from qa.errors import ReviewQAError
from qa.pipelines.definitions import build_reader
from qa.readers.model_files import READER_INFO_FILE
from qa.training import resolve_no_answer_prior
from qa.types import Question

PRIORS = ("held-out", "train")


@dataclass
class StudyRow:
    """One (reader, no-answer prior) configuration, scored on dev (to choose) and test (to report)."""

    reader: str
    prior: str
    boost: float
    dev_tuned_f1: float
    dev: SquadBreakdown
    test: SquadBreakdown
    training: dict[str, Any]
    #: HasAns F1 of the best span when the reader never abstains: the quality of its spans alone.
    test_has_ans_f1_always_answer: float = 0.0
    chosen: bool = False


def _training_info(model_dir: Path) -> dict[str, Any]:
    path = model_dir / READER_INFO_FILE
    if not path.is_file():
        return {}
    info = json.loads(path.read_text(encoding="utf-8"))
    config = info.get("config", {})
    return {
        "domains": info.get("domains"),
        "epochs": config.get("epochs"),
        "learning_rate": config.get("learning_rate"),
        "features": info.get("features"),
        "seconds": info.get("seconds"),
        "bf16": config.get("bf16", False),
    }


def study_reader(
    settings: Settings,
    label: str,
    model_dir: Path,
    dev: Sequence[Question],
    test: Sequence[Question],
    shares: dict[str, float | None],
    progress: bool = True,
) -> list[StudyRow]:
    """Read dev and test once with `model_dir`, then tune and score once per no-answer prior."""
    reader = build_reader(replace(settings, reader=replace(settings.reader, model=str(model_dir), no_answer_boost=0.0)))
    dev_predictions = predict_isolated(reader, dev, progress=progress)
    test_predictions = predict_isolated(reader, test, progress=progress)
    always = score_predictions(test, at_boost(test_predictions, -math.inf))
    rows = []
    for prior, share in shares.items():
        boost, tuned_f1 = tune_no_answer_boost(dev, dev_predictions, no_answer_share=share)
        rows.append(
            StudyRow(
                reader=label,
                prior=prior,
                boost=boost,
                dev_tuned_f1=tuned_f1,
                dev=score_predictions(dev, at_boost(dev_predictions, boost)),
                test=score_predictions(test, at_boost(test_predictions, boost)),
                training=_training_info(model_dir),
                test_has_ans_f1_always_answer=always.has_ans.f1,
            )
        )
    return rows


def mark_chosen(rows: Sequence[StudyRow]) -> None:
    """Per prior, mark the reader with the best tuned dev F1."""
    for prior in {r.prior for r in rows}:
        candidates = [r for r in rows if r.prior == prior]
        max(candidates, key=lambda r: r.dev_tuned_f1).chosen = True


def render(rows: Sequence[StudyRow], domain: str) -> str:
    """The study table: training, dev (chooses) and test (reports) top-1 scores."""
    body = [
        [
            ("**" + r.reader + "**") if r.chosen else r.reader,
            "+".join(r.training.get("domains") or ["?"]),
            str(r.training.get("epochs", "?")),
            f"{r.training['seconds']:.0f}" if r.training.get("seconds") else "?",
            r.prior,
            f"{r.boost:+.2f}",
            f"{r.dev_tuned_f1:.3f}",
            f"{r.dev.overall.f1:.3f}",
            f"{r.test.overall.em:.3f}",
            f"{r.test.overall.f1:.3f}",
            f"{r.test.has_ans.f1:.3f}",
            f"{r.test.no_ans.f1:.3f}",
            f"{r.test_has_ans_f1_always_answer:.3f}",
        ]
        for r in rows
    ]
    header = [
        "reader",
        "trained on",
        "epochs",
        "train s",
        "no-answer prior",
        "boost",
        "dev F1 (tuned, weighted)",
        "dev F1",
        "test EM",
        "test F1",
        "test HasAns F1",
        "test NoAns",
        "test HasAns F1, never abstaining",
    ]
    return (
        f"{domain} dev chooses (bold: best tuned dev F1 per prior), {domain} test reports; top-1, "
        "gold review given (isolated reader).\n\n" + table(header, body)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: study the given readers and write the result files."""
    parser = script_parser("eval.reader_study", __doc__)
    parser.add_argument("--reader", action="append", required=True, metavar="LABEL=DIR", help="Repeatable.")
    parser.add_argument("--domain", default="electronics")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N dev and test questions.")
    add_run_arguments(parser, "reader-study")
    args = parser.parse_args(argv)

    from qa.data import resolve_subjqa_dir

    settings = Settings.from_env(None, subjqa_dir=args.subjqa_dir, device=args.device)
    readers = {label: Path(path) for label, _, path in (item.partition("=") for item in args.reader)}
    missing = [str(path) for path in readers.values() if not path.is_dir()]
    if missing:
        print(f"Error: reader folder not found: {', '.join(missing)}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        source = resolve_subjqa_dir(settings, [args.domain])
        dev = load_subjqa(source, args.domain, "dev").questions[: args.limit]
        test = load_subjqa(source, args.domain, "test").questions[: args.limit]
        shares = {prior: resolve_no_answer_prior(prior, [args.domain], source) for prior in PRIORS}
        rows = [
            row
            for label, path in readers.items()
            for row in study_reader(settings, label, path, dev, test, shares, progress=not args.quiet)
        ]
    except ReviewQAError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    mark_chosen(rows)
    markdown = render(rows, args.domain)
    command = command_line("python -m eval.reader_study", argv or None)
    config = {
        "readers": {k: str(v) for k, v in readers.items()},
        "domain": args.domain,
        "limit": args.limit,
        "no_answer_shares": shares,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    write_result(
        args.name,
        kind="reader-study",
        command=command,
        config=config,
        metrics={"rows": rows},
        markdown=markdown,
        results_dir=args.results_dir,
    )
    plot_score_bars(
        {
            f"{r.reader} ({r.prior})": {
                "overall": r.test.overall.f1,
                "HasAns": r.test.has_ans.f1,
                "NoAns": r.test.no_ans.f1,
            }
            for r in rows
        },
        args.results_dir / f"{args.name}.png",
        f"reader study: test F1 at the dev-tuned threshold, {args.domain}",
        ["overall", "HasAns", "NoAns"],
    )
    print(markdown)
    return 0


if __name__ == "__main__":
    run_script(main)
