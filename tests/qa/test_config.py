"""The one settings object: defaults, environment variables, explicit overrides, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import PACKAGED_MINILM, Settings
from qa.errors import DataError


def test_environment_variables_set_their_fields() -> None:
    settings = Settings.from_env(
        {
            "REVIEWQA_DATA_DIR": "~/rq",
            "SUBJQA_DIR": "/data/subjqa",
            "REVIEWQA_READER": "/models/reader",
            "REVIEWQA_NO_ANSWER_BOOST": "-0.5",
            "REVIEWQA_SAS_MODEL": "cross-encoder/stsb-roberta-large",
            "REVIEWQA_HYBRID_BM25_WEIGHT": "0.2",
            "REVIEWQA_SUMMARY_MODEL": "facebook/bart-large-cnn",
            "ES_URL": "http://localhost:9200",
            "UNRELATED": "ignored",
        }
    )
    assert settings.data_dir == Path("~/rq").expanduser() and settings.subjqa_dir == Path("/data/subjqa")
    assert settings.reader.model == "/models/reader" and settings.reader.no_answer_boost == -0.5
    assert (
        settings.eval.sas_model == "cross-encoder/stsb-roberta-large" and settings.retrieval.hybrid_bm25_weight == 0.2
    )
    assert settings.nlp.summary_model == "facebook/bart-large-cnn" and settings.store.es_url == "http://localhost:9200"


def test_defaults_and_explicit_overrides_win_over_the_environment() -> None:
    assert Settings.from_env({}).eval.sas_model == PACKAGED_MINILM
    settings = Settings.from_env({"REVIEWQA_SAS_MODEL": "a/b"}, sas_model="c/d", reader_model=None)
    assert settings.eval.sas_model == "c/d" and settings.reader.model == "auto"


def test_a_bad_number_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="REVIEWQA_NO_ANSWER_BOOST must be a number"):
        Settings.from_env({"REVIEWQA_NO_ANSWER_BOOST": "high"})
