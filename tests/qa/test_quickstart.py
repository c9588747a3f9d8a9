"""The README's command 1 path (`reviewqa quickstart`), end to end on a slice: index, train, decide, answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.config import Settings
from qa.quickstart import run_quickstart, training_domains
from qa.readers.model_files import READER_INFO_FILE
from qa.readers.training import TrainingConfig
from qa.types import AskResult


@pytest.mark.slow
def test_quickstart_indexes_trains_fits_the_decision_and_answers(tmp_path: Path, subjqa_dir: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", subjqa_dir=subjqa_dir, device="cpu")
    lines: list[str] = []
    shown: list[AskResult] = []
    slice_ = TrainingConfig(epochs=1, max_examples=48, batch_size=16, learning_rate=2e-4)

    def quickstart() -> None:
        run_quickstart(
            settings,
            domain="electronics",
            n_questions=2,
            echo=lines.append,
            show=shown.append,
            training=slice_,
            train_domains=["electronics"],
            max_tune_groups=30,
        )

    quickstart()
    assert any(line.startswith("Indexed 1875 reviews of electronics") for line in lines)
    assert any("training the offline reader" in line for line in lines)
    assert lines[-1].startswith("Done in")
    assert len(shown) == 2
    for result in shown:
        assert result.confidence is not None and result.answers
        # The headline answer is what the decision chose: a span exactly when it says "answered".
        assert result.best is not None and result.best.is_no_answer is (not result.confidence.answered)
        assert all(r.review.item_id == result.item_id for r in result.reviews)
    info = json.loads((settings.default_reader_dir / READER_INFO_FILE).read_text())
    assert info["extra"]["answer_decision_report"]["questions"] == 30

    # Run again: the index and the reader are reused, nothing is trained or duplicated.
    lines.clear()
    quickstart()
    assert not any("training" in line for line in lines)
    assert any("(1875 in the store)" in line for line in lines)


def test_training_domains_are_those_in_the_source_dir(tmp_path: Path, subjqa_dir: Path) -> None:
    assert training_domains(subjqa_dir, "electronics") == ["electronics", "grocery", "restaurants", "tripadvisor"]
    for split in ("train", "dev", "test"):
        (tmp_path / "books").mkdir(exist_ok=True)
        (tmp_path / "books" / f"{split}.csv").write_text("x\n")
    assert training_domains(tmp_path, "books") == ["books"]
    assert training_domains(tmp_path, "electronics") == ["electronics", "books"]


def test_an_unreachable_hub_means_no_reader_and_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    from qa.quickstart import fetch_hub_reader

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(data_dir=tmp_path)
    assert fetch_hub_reader(settings) is False
    assert not settings.default_reader_dir.exists()
    parent = settings.default_reader_dir.parent  # offline, nothing is created at all
    assert not parent.exists() or list(parent.iterdir()) == []
