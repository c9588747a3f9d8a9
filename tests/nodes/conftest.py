"""Fixtures of the NLP-task tests: real SubjQA reviews, and the facade with models loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.api import ReviewQA
from qa.config import Settings
from qa.nodes.generator import LocalChatGenerator
from qa.types import Review

#: Google Chromecast: 9 reviews in electronics test.
CHROMECAST = "B00DR0PDNE"
#: Bluetooth headsets: 15 distinct reviews (pros and cons read all of them, so a smaller product keeps it quick).
HEADSET = "B009A5204K"
#: An iPod shuffle with one review, in electronics train: "The battery holds the charge for 15 hours."
SHUFFLE = "B0097BEECI"


@pytest.fixture(scope="session")
def electronics_reviews(subjqa_dir: Path) -> dict[str, Review]:
    """Every electronics review (all splits) by review id."""
    from indexer.sources.subjqa import SPLITS, load_subjqa

    return {r.review_id or "": r for split in SPLITS for r in load_subjqa(subjqa_dir, "electronics", split).reviews}


@pytest.fixture(scope="session")
def nlp_api(indexed_settings: Settings) -> ReviewQA:
    """The facade on the indexed electronics reviews (no reader); components load on first use."""
    return ReviewQA(indexed_settings)


@pytest.fixture(scope="session")
def reader_api(qa_settings: Settings) -> ReviewQA:
    """The facade with the tiny extractive reader too (pros and cons, translated QA).

    The tiny reader (a few training steps) is forced to answer (single threshold far below every
    span): these tests check the NLP plumbing, not the reader's answer decision.
    """
    return ReviewQA(qa_settings.with_overrides(reader_no_answer_boost=-1000.0))


@pytest.fixture(scope="session")
def generator(nlp_api: ReviewQA) -> LocalChatGenerator:
    """The packaged SmolLM2 (loaded once: about 20 s)."""
    return nlp_api.nlp.generator


def distinct_reviews(api: ReviewQA, item_id: str) -> int:
    """How many different reviews (by review id) of a product the store holds (SubjQA repeats some across splits)."""
    return len(
        {
            d.meta.get("review_id")
            for d in api.store.filter_documents({"field": "meta.item_id", "operator": "==", "value": item_id})
        }
    )
