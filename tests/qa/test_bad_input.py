"""Bad input through the Python API and the settings: one ReviewQAError with a clear message, store unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from qa.api import ReviewQA
from qa.config import Settings
from qa.errors import ReviewQAError

ITEM = "B0074BW614"

ASK_CASES: list[tuple[dict[str, Any], str]] = [
    ({"question": None}, "must be text"),
    ({"question": 123}, "must be text"),
    ({"question": b"Is it good?"}, "must be text"),
    ({"question": "Is it \ud800 good?"}, "lone surrogates"),
    ({"question": "\u200b\u200b\u200d"}, "The question is empty"),
    ({"question": "\x00\x00\x00"}, "The question is empty"),
    ({"question": " \t\n "}, "The question is empty"),
    ({"question": "x" * 1001}, "the limit is 1000"),
    ({"question": "Is it good?", "item_id": 7}, "product id must be text"),
    ({"question": "Is it good?", "item_id": "NOPE"}, "No reviews of product 'NOPE'"),
    ({"question": "Is it good?", "split": "nosuch"}, "Unknown split 'nosuch'"),
    ({"question": "Is it good?", "top_k_retriever": -1}, "top_k_retriever must be from 1"),
    ({"question": "Is it good?", "top_k_retriever": 0}, "top_k_retriever must be from 1"),
    ({"question": "Is it good?", "top_k_retriever": 2.5}, "must be a whole number"),
    ({"question": "Is it good?", "top_k_retriever": 10**12}, "top_k_retriever must be from 1 to 100"),
    ({"question": "Is it good?", "top_k_reader": True}, "must be a whole number"),
    ({"question": "Is it good?", "mode": "poetry"}, "Unknown mode"),
]


@pytest.mark.parametrize(("kwargs", "message"), ASK_CASES)
def test_bad_questions_raise_one_clear_error(indexed_settings: Settings, kwargs: dict[str, Any], message: str) -> None:
    api = ReviewQA(indexed_settings)
    before = api.count()
    with pytest.raises(ReviewQAError, match=message.replace("(", r"\(")):
        api.ask(**{"item_id": ITEM, **kwargs})
    assert api.count() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top_k_retriever": -5}, "top_k_retriever must be from 1"),
        ({"top_k_reader": 0}, "top_k_reader must be from 1"),
        ({"device": "tpu"}, "The device must be one of auto, cpu, cuda"),
        ({"retriever": "grep"}, "The retriever must be one of"),
        ({"store_backend": "csv"}, "The store backend must be one of"),
    ],
)
def test_bad_settings_raise_one_clear_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ReviewQAError, match=message):
        Settings(**kwargs)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"REVIEWQA_DEVICE": "tpu"}, "The device must be one of"),
        ({"REVIEWQA_NO_ANSWER_BOOST": "inf"}, "must be a finite number"),
        ({"REVIEWQA_NO_ANSWER_BOOST": "nan"}, "must be a finite number"),
        ({"REVIEWQA_NO_ANSWER_BOOST": "lots"}, "must be a number"),
        ({"REVIEWQA_DATA_DIR": ""}, "REVIEWQA_DATA_DIR is set but empty"),
        ({"REVIEWQA_RETRIEVER": "grep"}, "The retriever must be one of"),
    ],
)
def test_bad_environment_raises_one_clear_error(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ReviewQAError, match=message):
        Settings.from_env(environ)
