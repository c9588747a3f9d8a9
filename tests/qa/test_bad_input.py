"""Bad input through the Python API and the settings: one ReviewQAError with a clear message, store unchanged."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from qa.api import ReviewQA
from qa.config import Settings
from qa.errors import ReviewQAError, StoreError
from qa.stores.factory import open_labels

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


# -- more classes: URLs, folders, splits, product ids, training numbers, files, labels, the hub ----------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"es_url": "not a url"}, "ES_URL must be an http(s) URL such as http://localhost:9200, not 'not a url'"),
        ({"es_url": "ftp://host:21"}, "ES_URL must be an http(s) URL"),
        ({"es_url": "http://:9200"}, "ES_URL must be an http(s) URL"),
        ({"es_url": "http://host:99999"}, "ES_URL must be an http(s) URL"),
        ({"hybrid_bm25_weight": 1.5}, "The hybrid BM25 weight must lie in [0, 1]"),
    ],
)
def test_more_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ReviewQAError) as raised:
        Settings(**kwargs)
    assert message in str(raised.value)


def test_es_url_from_the_environment_is_checked() -> None:
    with pytest.raises(ReviewQAError, match="ES_URL must be an http"):
        Settings.from_env({"ES_URL": "not a url"})
    assert Settings.from_env({"ES_URL": "https://es.example:9200"}).store.es_url == "https://es.example:9200"


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReviewQAError, match="is not a folder: choose a folder"):
        Settings(data_dir=tmp_path / "file")
    with pytest.raises(ReviewQAError, match=r"is not a folder \(.*file is a file\)"):
        Settings(data_dir=tmp_path / "file" / "data")
    assert Settings(data_dir=tmp_path / "not-yet" / "data").data_dir == tmp_path / "not-yet" / "data"


def test_unknown_splits_and_empty_product_ids_are_named(indexed_settings: Settings) -> None:
    api = ReviewQA(indexed_settings)
    for call in (lambda: api.products(split="nosuch"), lambda: api.count(split="nosuch")):
        with pytest.raises(ReviewQAError, match="Unknown split 'nosuch': use one of train, dev, test"):
            call()
    with pytest.raises(ReviewQAError, match="Unknown split 'nosuch'"):
        open_labels(indexed_settings).read("electronics", "nosuch")
    for item_id in ("", "   "):
        with pytest.raises(ReviewQAError, match="The product id is empty"):
            api.ask("Is it good?", item_id=item_id)
        with pytest.raises(ReviewQAError, match="The product id is empty"):
            api.retrieve("Is it good?", item_id=item_id)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": float("nan")}, "epochs must be a finite number above 0, not nan"),
        ({"epochs": 0}, "epochs must be a finite number above 0"),
        ({"learning_rate": -1e-4}, "learning_rate (--lr) must be a finite number above 0"),
        ({"learning_rate": float("inf")}, "learning_rate (--lr) must be a finite number above 0"),
        ({"batch_size": 0}, "batch_size must be a whole number above 0"),
        ({"batch_size": 2.5}, "batch_size must be a whole number above 0"),
        ({"max_examples": -3}, "max_examples must be a whole number above 0"),
    ],
)
def test_bad_training_numbers(kwargs: dict[str, Any], message: str) -> None:
    from qa.readers.training import TrainingConfig
    from qa.retrievers.training import RetrieverTrainingConfig

    with pytest.raises(ReviewQAError) as raised:
        TrainingConfig(**kwargs)
    assert message in str(raised.value)
    with pytest.raises(ReviewQAError) as raised:
        RetrieverTrainingConfig(**kwargs)
    assert message in str(raised.value)


def _bad_subjqa(tmp_path: Path, subjqa_dir: Path, text: str) -> Path:
    source = tmp_path / "subjqa"
    for split in ("train", "dev", "test"):
        (source / "electronics").mkdir(parents=True, exist_ok=True)
        shutil.copy(subjqa_dir / "electronics" / f"{split}.csv", source / "electronics" / f"{split}.csv")
    path = source / "electronics" / "test.csv"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return source


def _state(settings: Settings) -> tuple[int, dict[str, int]]:
    labels = open_labels(settings)
    return ReviewQA(settings).count(), {f"{d}/{s}": len(labels.read(d, s)) for d, s in labels.available()}


def test_api_indexing_a_broken_csv_changes_nothing(
    indexed_settings: Settings, subjqa_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(indexed_settings.data_dir, data)
    settings = Settings(data_dir=data, device="cpu")
    before = _state(settings)
    source = _bad_subjqa(tmp_path, subjqa_dir, 'B01,electronics,"never closed\nB02,electronics,gone\n')
    with pytest.raises(ReviewQAError, match="unterminated quote starting on line"):
        ReviewQA(settings).index_subjqa(["electronics"], source_dir=source, progress=False)
    assert _state(settings) == before


def test_api_full_disk_is_a_store_error(
    indexed_settings: Settings, subjqa_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, device="cpu")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(StoreError, match=r"Cannot write to .*data: No space left on device \(the disk is full"):
        ReviewQA(settings).index_subjqa(["electronics"], source_dir=subjqa_dir, splits=["test"], progress=False)
    monkeypatch.undo()
    assert not (data / "labels" / "electronics" / "test.jsonl").exists()


def test_a_damaged_label_file_is_named_with_its_line(indexed_settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(indexed_settings.data_dir, data)
    path = data / "labels" / "electronics" / "dev.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2]) + '{"question_id": "x"\n' + "".join(lines[2:]), encoding="utf-8")
    with pytest.raises(StoreError, match=r"dev.jsonl: line 3 is not a gold question .* Delete it and re-run"):
        open_labels(Settings(data_dir=data)).read("electronics", "dev")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(StoreError, match="is not UTF-8 text"):
        open_labels(Settings(data_dir=data)).read("electronics", "dev")


def test_a_hub_model_not_in_the_cache_fails_at_once_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    from qa.errors import ModelError
    from qa.hub import require_hub_model

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError, match="not in the local model cache and HF_HUB_OFFLINE is set"):
        require_hub_model("someone/no-such-model", "reader")
    require_hub_model("/a/local/path/that/does/not/matter", "reader")  # not a hub id: left to the loader


def test_the_summary_encoder_from_the_hub_fails_at_once_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    from qa.errors import ModelError
    from qa.nodes.summarizer import ReviewSummarizer

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError, match="summary encoder"):
        ReviewSummarizer(embedding_model="someone/no-such-encoder").warm_up()


def test_a_hub_translation_template_loads_its_default_direction_at_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    from qa.errors import ModelError
    from qa.nodes.translator import Translator

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError, match="someone/opus-mt-pt-en"):
        Translator(model="someone/opus-mt-{src}-{tgt}").warm_up()
    Translator(model="someone/opus-mt-{src}-{tgt}", source_lang="en", target_lang="en").warm_up()  # nothing to load
