"""Session fixtures for retriever tests: a small real SubjQA slice and a tiny trained DPR model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from qa.config import Settings
from qa.types import Review

#: Products (electronics test) in the slice, and reviews kept per product.
PRODUCTS = 3
PER_PRODUCT = 7


@pytest.fixture(scope="session")
def review_slice(subjqa_dir: Path) -> list[Review]:
    """Reviews of the 3 most reviewed electronics test products (7 each) plus a few train reviews."""
    from indexer.sources.subjqa import load_subjqa

    test = load_subjqa(subjqa_dir, "electronics", "test").reviews
    top = [item for item, _ in Counter(r.item_id for r in test).most_common(PRODUCTS)]
    chosen = [r for item in top for r in [r for r in test if r.item_id == item][:PER_PRODUCT]]
    train = load_subjqa(subjqa_dir, "electronics", "train").reviews
    extra = [r for r in train if r.item_id == top[0]][:2]  # same product, other split: must be filtered out
    return chosen + extra


@pytest.fixture(scope="session")
def tiny_dpr_dir(tmp_path_factory: pytest.TempPathFactory, subjqa_dir: Path) -> Path:
    """DPR encoders (shared) trained for 2 steps on 16 questions: a real, loadable model."""
    from qa.retrievers.training import RetrieverTrainingConfig, train_dpr

    data = tmp_path_factory.mktemp("dpr-data")
    out = data / "models" / "dpr"
    train_dpr(
        Settings(data_dir=data, device="cpu"),
        source_dir=subjqa_dir,
        out_dir=out,
        config=RetrieverTrainingConfig(batch_size=8, max_examples=16, max_steps=2, max_seq_length=64),
        progress=False,
    )
    return out
