"""The CLI as a user runs it: real subprocesses, one-line errors, exit codes, store untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import Settings
from qa.stores.embedded import STORE_FILE

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], settings: Settings, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "REVIEWQA_DATA_DIR": str(settings.data_dir), **env}
    environ.pop("SUBJQA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], cwd=REPO, env=environ, capture_output=True, text=True, timeout=300
    )


def test_ask_prints_answers_with_scores_and_context(qa_settings: Settings) -> None:
    out = run(
        [
            "ask",
            "Is it good for reading?",
            "--item",
            "B0074BW614",
            "--top-k-retriever",
            "3",
            "--top-k-reader",
            "3",
            "--reader",
            qa_settings.reader.model,
        ],
        qa_settings,
    )
    assert out.returncode == 0, out.stderr
    assert "Q: Is it good for reading?" in out.stdout and "score" in out.stdout and "[" in out.stdout


def test_no_answer_is_said_plainly(qa_settings: Settings) -> None:
    out = run(
        ["ask", "Is it waterproof?", "--item", "B0074BW614", "--reader", qa_settings.reader.model],
        qa_settings,
        REVIEWQA_NO_ANSWER_BOOST="1000",
    )
    assert out.returncode == 0, out.stderr
    assert "The reviews don't say" in out.stdout


def test_ask_with_consensus_prints_the_grouped_reviews(qa_settings: Settings) -> None:
    args = ["ask", "How long does the battery last?", "--item", "B0074BW614", "--consensus", "--consensus-reviews", "4"]
    out = run([*args, "--reader", qa_settings.reader.model], qa_settings)
    assert out.returncode == 0, out.stderr
    assert "Q: How long does the battery last?" in out.stdout  # the pipeline's answer first
    consensus = [line for line in out.stdout.splitlines() if line.startswith("Consensus: ")]
    assert len(consensus) == 1 and "(4 of " in consensus[0] and "reviews read)" in consensus[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "Is it good?", "--item", "B0074BW614", "--consensus-reviews", "3"], "only applies with --consensus"),
        (["ask", "Is it good?", "--item", "B0074BW614", "--consensus", "--consensus-reviews", "0"], "from 1 to 100"),
        (["ask", "Is it good?", "--item", "B0074BW614", "--consensus", "--mode", "generative"], "--mode extractive"),
        (["ask", "  ", "--item", "B0074BW614"], "The question is empty"),
        (["ask", "x" * 10_000, "--item", "B0074BW614"], "the limit is"),
        (["ask", "Is it good?", "--item", "NOPE"], "No reviews of product 'NOPE'"),
        (["ask", "Is it good?", "--item", "B0074BW614", "--reader", "/no/such/model"], "Model path does not exist"),
        (["index", "--subjqa-dir", "/no/such/dir"], "SubjQA directory not found"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_1(qa_settings: Settings, args: list[str], message: str) -> None:
    store_file = qa_settings.store_dir / STORE_FILE
    before = store_file.stat().st_mtime_ns
    args = [*args, "--reader", qa_settings.reader.model] if args[0] == "ask" and "--reader" not in args else args
    out = run(args, qa_settings)
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr + out.stdout
    assert len([line for line in out.stderr.splitlines() if line.startswith("Error:")]) == 1
    assert store_file.stat().st_mtime_ns == before


def test_csv_with_missing_columns_is_refused(qa_settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "reviews.csv"
    bad.write_text("asin,stars\nB01,5\n")
    before = (qa_settings.store_dir / STORE_FILE).stat().st_mtime_ns
    out = run(["import-reviews", str(bad)], qa_settings)
    assert out.returncode == 1 and "missing" in out.stderr and "Traceback" not in out.stderr
    assert (qa_settings.store_dir / STORE_FILE).stat().st_mtime_ns == before


def test_import_reviews_then_ask_about_them(qa_settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "mine.jsonl"
    data.write_text(
        '{"asin": "MY-1", "body": "The battery lasts ten hours and the screen is sharp."}\n'
        '{"asin": "MY-1", "body": ""}\n'
        '{"asin": "MY-1", "body": "Sound is tinny but loud enough."}\n'
    )
    own = Settings(data_dir=tmp_path / "own-data")  # a fresh store: the shared index stays as it is
    out = run(["import-reviews", str(data), "--columns", "item_id=asin,text=body"], own)
    assert out.returncode == 0, out.stderr
    assert "skipped line 2" in out.stderr and "written 2" in out.stdout
    out = run(["ask", "How long does the battery last?", "--item", "MY-1", "--reader", qa_settings.reader.model], own)
    assert out.returncode == 0, out.stderr
    assert "MY-1" in out.stdout
