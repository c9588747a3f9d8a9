"""Shared fixtures: the real SubjQA data, a small index, and a tiny reader trained once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qa.config import PACKAGED_MINILM, Settings

REPO = Path(__file__).resolve().parents[1]
SUBJQA = Path(os.environ.get("SUBJQA_DIR", REPO.parent / "shared" / "data" / "subjqa"))


@pytest.fixture(scope="session")
def subjqa_dir() -> Path:
    """The real SubjQA CSVs (../shared/data/subjqa beside the clone, or SUBJQA_DIR)."""
    if not (SUBJQA / "electronics" / "test.csv").is_file():
        pytest.fail(f"SubjQA not found at {SUBJQA}: set SUBJQA_DIR")
    return SUBJQA


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory, subjqa_dir: Path) -> Settings:
    """Settings of a data dir holding SubjQA electronics (all splits), indexed once per session."""
    from qa.api import ReviewQA

    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), subjqa_dir=subjqa_dir, device="cpu")
    ReviewQA(settings).index_subjqa(["electronics"], source_dir=subjqa_dir, progress=False)
    return settings


@pytest.fixture(scope="session")
def tiny_reader_dir(tmp_path_factory: pytest.TempPathFactory, subjqa_dir: Path) -> Path:
    """A reader fine-tuned for a few steps on a slice of electronics train, tuned on a slice of dev."""
    from qa.readers.training import TrainingConfig
    from qa.training import train_and_tune

    out = tmp_path_factory.mktemp("models") / "reader"
    settings = Settings(data_dir=out.parent, device="cpu")
    train_and_tune(
        settings,
        base=PACKAGED_MINILM,
        domains=["electronics"],
        source_dir=subjqa_dir,
        out_dir=out,
        config=TrainingConfig(epochs=1, max_examples=48, batch_size=16, learning_rate=2e-4),
        tune_on="dev",
        progress=False,
        max_tune_questions=40,
    )
    return out


@pytest.fixture(scope="session")
def qa_settings(indexed_settings: Settings, tiny_reader_dir: Path) -> Settings:
    """Indexed data plus the tiny reader."""
    return indexed_settings.with_overrides(reader_model=str(tiny_reader_dir))
