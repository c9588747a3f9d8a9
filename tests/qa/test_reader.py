"""The reader: training output, answer-length cap, no-answer, loading by both libraries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from haystack import Document
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from indexer.squad import SquadExample
from qa.errors import DataError
from qa.readers.decision import AnswerDecision
from qa.readers.model_files import READER_INFO_FILE, packaged_minilm_dir
from qa.readers.reader import ReviewReader
from qa.readers.training import TrainingConfig, _answer_token_span, build_features, sample_no_answer

REVIEW = (
    "I bought this Kindle for my daughter. The battery lasts about ten hours of reading, which is great. "
    "The screen is a bit glossy in sunlight but text is crisp. Shipping was fast and the price was fair."
)


def test_answer_token_span_from_offsets() -> None:
    offsets = [(0, 0), (0, 3), (0, 0), (0, 3), (4, 9), (10, 15), (0, 0)]
    sequence_ids = [None, 0, None, 1, 1, 1, None]
    assert _answer_token_span(offsets, sequence_ids, 4, 9) == (4, 4)
    assert _answer_token_span(offsets, sequence_ids, 0, 15) == (3, 5)
    assert _answer_token_span(offsets, sequence_ids, 12, 20) is None  # runs past this window


def test_features_label_the_answer_tokens_or_cls() -> None:
    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_dir())
    start = REVIEW.index("about ten hours")
    examples = [
        SquadExample("a", "How long does the battery last?", REVIEW, "about ten hours", start),
        SquadExample("b", "Is it waterproof?", REVIEW, None, None),
    ]
    answerable, unanswerable = build_features(tokenizer, examples, TrainingConfig())
    tokens = answerable["input_ids"][answerable["start_positions"] : answerable["end_positions"] + 1]
    assert tokenizer.decode(tokens) == "about ten hours"
    assert unanswerable["start_positions"] == unanswerable["end_positions"] == 0


def test_a_share_of_no_answer_examples_is_kept_with_every_answerable_one() -> None:
    examples = [
        SquadExample(str(i), "q?", REVIEW, None if i % 2 else "battery", None if i % 2 else REVIEW.index("battery"))
        for i in range(40)
    ]
    kept = sample_no_answer(examples, 0.25, seed=7)
    assert [e for e in kept if e.answer_text is not None] == examples[0::2]  # all answerable, in order
    assert len([e for e in kept if e.answer_text is None]) == 5  # a quarter of the 20 no-answer examples
    assert [e.example_id for e in kept] == sorted((e.example_id for e in kept), key=int)
    assert kept == sample_no_answer(examples, 0.25, seed=7)  # the same seed draws the same examples
    assert sample_no_answer(examples, 1.0, seed=7) == examples
    for bad in (0.0, 1.5):
        with pytest.raises(DataError, match="no_answer_fraction"):
            TrainingConfig(no_answer_fraction=bad)


def test_training_saves_a_loadable_folder_with_its_record(tiny_reader_dir: Path) -> None:
    info = json.loads((tiny_reader_dir / READER_INFO_FILE).read_text())
    assert info["domains"] == ["electronics"] and info["examples"] == 48
    # The answer decision was fitted on dev pipeline outputs (or, with too little signal, says why not).
    report = info["extra"]["answer_decision_report"]
    assert report["questions"] > 0 and ("cv_f1" in report or report["fitted"] is False)
    decision = info["extra"].get("answer_decision")
    assert decision is None or "retrieval_score" not in decision["features"]  # raw BM25 scores: left out
    # transformers 5 removed its "question-answering" pipeline; the folder loads with the auto class
    # that pipeline used, and gives span logits over the question+review tokens.
    model = AutoModelForQuestionAnswering.from_pretrained(tiny_reader_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_reader_dir)
    inputs = tokenizer("How long does the battery last?", REVIEW, return_tensors="pt")
    with torch.inference_mode():
        out = model(**inputs)
    assert out.start_logits.shape == out.end_logits.shape == inputs["input_ids"].shape


def test_reader_caps_answer_length_and_adds_one_no_answer(tiny_reader_dir: Path) -> None:
    reader = ReviewReader(model=str(tiny_reader_dir), top_k=5, max_answer_tokens=4)
    reader.warm_up()
    answers = reader.run(query="How long does the battery last?", documents=[Document(content=REVIEW * 3)])["answers"]
    spans = [a for a in answers if a.data is not None]
    assert len(spans) == 5 and sum(a.data is None for a in answers) == 1
    for a in spans:
        assert a.data == (REVIEW * 3)[a.document_offset.start : a.document_offset.end]
        assert len(reader.tokenizer.tokenize(a.data)) <= 4
    assert [a.score for a in spans] == sorted((a.score for a in spans), reverse=True)
    # The no-answer answer carries the decision, and sits first exactly when the decision abstains.
    null_position = next(i for i, a in enumerate(answers) if a.data is None)
    meta = answers[null_position].meta
    assert meta["confidence"] in ("likely", "possibly", "not mentioned")
    assert answers[null_position].score == pytest.approx(1 - meta["answer_probability"])
    assert (null_position == 0) == (meta["answer_probability"] < 0.5)
    assert null_position in (0, len(answers) - 1)


def test_a_fitted_decision_is_used_and_serialised(tiny_reader_dir: Path) -> None:
    docs = [Document(content=REVIEW)]
    for intercept, expect_answer in ((50.0, True), (-50.0, False)):
        decision = AnswerDecision(coefficients=(0.0,), intercept=intercept).to_dict()
        reader = ReviewReader(model=str(tiny_reader_dir), no_answer_boost=1000.0, decision=decision)
        best = reader.run(query="How long does the battery last?", documents=docs)["answers"][0]
        assert (best.data is not None) is expect_answer
        assert ReviewReader.from_dict(reader.to_dict()).answer_decision == reader.answer_decision


def test_no_answer_boost_moves_the_decision(tiny_reader_dir: Path) -> None:
    docs = [Document(content=REVIEW)]
    for boost, expect_no_answer in ((-1000.0, False), (1000.0, True)):
        reader = ReviewReader(model=str(tiny_reader_dir), no_answer_boost=boost)
        best = reader.run(query="How long does the battery last?", documents=docs)["answers"][0]
        assert (best.data is None) is expect_no_answer


def test_serialisation_round_trip(tiny_reader_dir: Path) -> None:
    reader = ReviewReader(model=str(tiny_reader_dir), max_answer_tokens=12, no_answer_boost=1.5)
    again = ReviewReader.from_dict(reader.to_dict())
    assert again.max_answer_tokens == 12 and again.no_answer_boost == 1.5


def test_saving_over_a_reader_replaces_it_whole(tiny_reader_dir: Path, tmp_path: Path) -> None:
    from qa.readers.training import TrainingRecord, save_reader

    model = AutoModelForQuestionAnswering.from_pretrained(tiny_reader_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_reader_dir)
    out = tmp_path / "reader"
    for examples in (1, 2):
        record = TrainingRecord(base="b", domains=["electronics"], config=TrainingConfig(), examples=examples)
        save_reader(model, tokenizer, record, out)
        assert json.loads((out / READER_INFO_FILE).read_text())["examples"] == examples
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reader"]  # no staging or retired folder left
