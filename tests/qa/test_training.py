"""Reader training options: k-fold cross-validation by product, tuning never on test."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import PACKAGED_MINILM, Settings
from qa.errors import DataError
from qa.readers.training import TrainingConfig
from qa.training import cross_validate, tune_reader


def test_two_fold_cross_validation_on_a_slice(subjqa_dir: Path, tmp_path: Path) -> None:
    report = cross_validate(
        Settings(data_dir=tmp_path, device="cpu"),
        base=PACKAGED_MINILM,
        domains=["electronics"],
        source_dir=subjqa_dir,
        folds=2,
        config=TrainingConfig(epochs=1, max_examples=16, batch_size=8),
        work_dir=tmp_path / "cv",
        progress=False,
    )
    assert [f["questions"] for f in report["folds"]] == [16, 16]
    for fold in report["folds"]:
        assert 0.0 <= fold["f1"] <= fold["best_f1"] <= 1.0
    assert set(report["summary"]) == {"f1", "has_ans_f1", "best_f1"}
    assert (tmp_path / "cv" / "fold-0" / "config.json").is_file()


def test_tuning_on_test_is_refused(subjqa_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="leak"):
        tune_reader(Settings(data_dir=tmp_path), tmp_path, ["electronics"], subjqa_dir, "test")
