"""The reader study: one reading scores every threshold; dev chooses, test reports."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from eval.reader import at_boost, predict_isolated
from eval.reader_study import main
from indexer.sources.subjqa import load_subjqa
from qa.config import Settings
from qa.pipelines.definitions import build_reader


def test_scoring_at_a_boost_matches_reading_at_that_boost(tiny_reader_dir: Path, subjqa_dir: Path) -> None:
    questions = load_subjqa(subjqa_dir, "electronics", "dev").questions[:8]
    settings = Settings(device="cpu")

    def read(boost: float) -> list[str | None]:
        reader_settings = replace(settings.reader, model=str(tiny_reader_dir), no_answer_boost=boost)
        reader = build_reader(replace(settings, reader=reader_settings))
        return [p.answers[0] for p in predict_isolated(reader, questions, progress=False)]

    at_zero = predict_isolated(
        build_reader(
            replace(settings, reader=replace(settings.reader, model=str(tiny_reader_dir), no_answer_boost=0.0))
        ),
        questions,
        progress=False,
    )
    margins = sorted(p.margin for p in at_zero)
    boost = (margins[3] + margins[4]) / 2  # half the questions answer, half abstain
    assert [p.answers[0] for p in at_boost(at_zero, boost)] == read(boost)


def test_study_writes_a_table_with_a_choice_per_prior(tiny_reader_dir: Path, subjqa_dir: Path, tmp_path: Path) -> None:
    code = main(
        [
            "--reader", f"tiny={tiny_reader_dir}",
            "--subjqa-dir", str(subjqa_dir),
            "--limit", "6",
            "--results-dir", str(tmp_path),
            "--name", "study",
            "--device", "cpu",
            "-q",
        ]
    )  # fmt: skip
    assert code == 0
    result = json.loads((tmp_path / "study.json").read_text())
    rows = result["metrics"]["rows"]
    assert [r["prior"] for r in rows] == ["held-out", "train"] and all(r["chosen"] for r in rows)
    assert result["config"]["no_answer_shares"]["train"] == 598 / 1295
    assert (tmp_path / "study.png").is_file() and "test HasAns F1" in (tmp_path / "study.md").read_text()


def test_a_missing_reader_folder_is_a_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--reader", f"x={tmp_path / 'nope'}", "--results-dir", str(tmp_path)]) == 1
    assert "reader folder not found" in capsys.readouterr().err
