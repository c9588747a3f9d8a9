"""DPR: a tiny training run gives a loadable model; transformers DPR checkpoints load with the right class."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.config import PACKAGED_MINILM, Settings
from qa.errors import ModelError
from qa.retrievers.encoder_models import RETRIEVER_INFO_FILE, dpr_encoders
from qa.retrievers.training import training_examples
from qa.types import GoldAnswer, Question, Review


def test_tiny_training_run_gives_a_loadable_model(tiny_dpr_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    info = json.loads((tiny_dpr_dir / RETRIEVER_INFO_FILE).read_text())
    assert info["steps"] == 2 and info["encoders"] == "shared" and info["examples"] > 0
    model = SentenceTransformer(str(tiny_dpr_dir), device="cpu")
    vectors = model.encode(["Is the battery good?", "The battery lasts two days."])
    assert vectors.shape == (2, 384)
    pair = dpr_encoders(Settings(dpr_query_model=str(tiny_dpr_dir), dpr_document_model=str(tiny_dpr_dir)))
    assert (pair.query.task, pair.document.task) == ("query", "document")
    assert pair.query.identity != pair.document.identity


def test_separate_encoders_route_questions_and_reviews(tmp_path: Path, subjqa_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from qa.retrievers.training import RetrieverTrainingConfig, train_dpr

    out = tmp_path / "dpr"
    report = train_dpr(
        Settings(data_dir=tmp_path, device="cpu"),
        source_dir=subjqa_dir,
        out_dir=out,
        config=RetrieverTrainingConfig(
            batch_size=4, max_examples=8, max_steps=2, max_seq_length=32, separate=True, learning_rate=1e-3
        ),
        progress=False,
    )
    assert report["encoders"] == "separate"
    model = SentenceTransformer(str(out), device="cpu")
    query = model.encode(["the battery"], task="query")
    document = model.encode(["the battery"], task="document")
    assert query.shape == document.shape == (1, 384)
    assert abs(query - document).max() > 0  # two encoders, trained apart


def test_hard_negatives_come_from_the_same_product_and_hold_no_answer() -> None:
    reviews = [
        Review(item_id="A", text="Battery lasts long. Great screen.", review_id="a1"),
        Review(item_id="A", text="The battery is weak, the battery died.", review_id="a2"),
        Review(item_id="A", text="Nice colours.", review_id="a3"),
        Review(item_id="B", text="Battery battery battery.", review_id="b1"),
    ]
    question = Question(
        question_id="q",
        question="How is the battery?",
        item_id="A",
        review_id="a1",
        review_text=reviews[0].text,
        domain="t",
        split="train",
        answers=(GoldAnswer("Battery lasts long", 0, 18),),
    )
    columns = training_examples([question], reviews)
    assert columns == {"anchor": [question.question], "positive": [reviews[0].text], "negative": [reviews[1].text]}


def _tiny_dpr_checkpoint(folder: Path, cls_name: str) -> None:
    import transformers
    from transformers import AutoTokenizer, DPRConfig

    from qa.readers.model_files import packaged_minilm_dir

    config = DPRConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    getattr(transformers, cls_name)(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(packaged_minilm_dir())).save_pretrained(folder)


def test_transformers_dpr_checkpoints_use_their_own_classes(tmp_path: Path) -> None:
    from haystack import Document

    from qa.retrievers.encoders import document_embedder, text_embedder

    _tiny_dpr_checkpoint(tmp_path / "q", "DPRQuestionEncoder")
    _tiny_dpr_checkpoint(tmp_path / "c", "DPRContextEncoder")
    settings = Settings(dpr_query_model=str(tmp_path / "q"), dpr_document_model=str(tmp_path / "c"), device="cpu")
    pair = dpr_encoders(settings)
    assert pair.query.family == pair.document.family == "dpr"
    question = text_embedder(pair.query, settings).run(text="is it loud?")["embedding"]
    docs = document_embedder(pair.document, settings, progress=False).run(
        documents=[Document(content="very loud"), Document(content="quiet")]
    )["documents"]
    assert len(question) == 32 and all(len(d.embedding) == 32 for d in docs)


def test_missing_trained_dpr_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="train-retriever"):
        dpr_encoders(Settings(data_dir=tmp_path))
    with pytest.raises(ModelError, match="both"):
        dpr_encoders(Settings(data_dir=tmp_path, dpr_query_model=PACKAGED_MINILM))
