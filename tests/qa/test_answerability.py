"""The answerability head: trained with the span head, saved beside the model, read by the answer decision."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from haystack import Document

from qa.errors import DataError
from qa.readers.answerability import (
    ANSWERABILITY_HEAD_FILE,
    AnswerabilityHead,
    AnswerabilityMultiTask,
    ReaderWithAnswerability,
    inference_module,
)
from qa.readers.decision import (
    FEATURE_NAMES,
    FIRST_STAGE_FEATURES,
    SIMILARITY_FEATURES,
    DecisionSignals,
    decision_features,
)
from qa.readers.training import TrainingConfig, build_features


def _tiny_qa_model() -> torch.nn.Module:
    from transformers import AutoModelForQuestionAnswering, BertConfig

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    return AutoModelForQuestionAnswering.from_config(config).eval()


def test_the_head_loss_is_added_and_the_head_round_trips(tmp_path: Path) -> None:
    qa_model = _tiny_qa_model()
    wrapped = AnswerabilityMultiTask(qa_model, weight=2.0)
    batch = {
        "input_ids": torch.randint(0, 50, (3, 8)),
        "start_positions": torch.tensor([0, 2, 3]),
        "end_positions": torch.tensor([0, 4, 3]),
    }
    wrapped.eval()  # no dropout: the two losses differ by the head's term alone
    span_only = wrapped(**batch)["loss"]
    both = wrapped(**batch, answerable=torch.tensor([0, 1, 1]))["loss"]
    hidden = qa_model(input_ids=batch["input_ids"], output_hidden_states=True).hidden_states[-1]
    head_logits = wrapped.answerability_head(hidden)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(head_logits, torch.tensor([0.0, 1.0, 1.0]))
    assert torch.isclose(both, span_only + 2.0 * expected, atol=1e-5)

    wrapped.save_extras(tmp_path)
    assert (tmp_path / ANSWERABILITY_HEAD_FILE).is_file()
    loaded = AnswerabilityHead.load(tmp_path, 16)
    assert loaded is not None and torch.allclose(loaded(hidden), head_logits, atol=1e-6)
    assert AnswerabilityHead.load(tmp_path / "elsewhere", 16) is None
    assert inference_module(qa_model, tmp_path / "elsewhere") is qa_model
    joined = inference_module(qa_model, tmp_path)
    assert isinstance(joined, ReaderWithAnswerability)
    start, end, answerable = joined(input_ids=batch["input_ids"], attention_mask=torch.ones(3, 8, dtype=torch.long))
    assert start.shape == end.shape == (3, 8) and torch.allclose(answerable, head_logits, atol=1e-6)


def test_window_labels_say_whether_the_window_holds_the_answer() -> None:
    from transformers import AutoTokenizer

    from indexer.squad import SquadExample
    from qa.readers.model_files import packaged_minilm_dir

    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_dir())
    context = "The battery lasts two days. " + "Nothing else to say here. " * 60
    answerable = SquadExample(
        example_id="a", question="How is the battery?", context=context, answer_text="lasts two days", answer_start=12
    )
    unanswerable = SquadExample(
        example_id="b", question="Is it loud?", context=context, answer_text=None, answer_start=None
    )
    config = TrainingConfig(answerability_weight=1.0, max_seq_length=128, stride=32, bf16=False)
    features = build_features(tokenizer, [answerable, unanswerable], config)
    labels = {(f["start_positions"] > 0, f["answerable"]) for f in features}
    assert labels == {(True, 1), (False, 0)}  # an answer span <=> label 1; answerless windows dropped


def test_decisions_read_the_head_only_when_every_question_has_it() -> None:
    with_head = [DecisionSignals(span_logit=1.0, null_logit=0.0, answerability=2.5)]
    without = [DecisionSignals(span_logit=1.0, null_logit=0.0)]
    assert "answerability" in decision_features(with_head, reranked=False)
    assert "retrieval_score" not in decision_features(with_head, reranked=False)
    # No sentence encoder ran for these signals, so its cosines are left out as well.
    assert decision_features(with_head, reranked=True) == tuple(
        n for n in FEATURE_NAMES if n not in SIMILARITY_FEATURES
    )
    assert "answerability" not in decision_features(without + with_head, reranked=True)
    left_out = ("answerability", *SIMILARITY_FEATURES)
    assert decision_features(without, reranked=False) == tuple(n for n in FIRST_STAGE_FEATURES if n not in left_out)
    assert with_head[0].vector()[FEATURE_NAMES.index("answerability")] == 2.5
    assert without[0].vector()[FEATURE_NAMES.index("answerability")] == 0.0


def test_a_head_cannot_be_combined_with_another_training_extra() -> None:
    with pytest.raises(DataError, match="cannot be combined"):
        TrainingConfig(answerability_weight=1.0, subjectivity_weight=1.0)
    with pytest.raises(DataError, match="answerability_weight"):
        TrainingConfig(answerability_weight=-1.0)


def test_a_reader_trained_with_the_head_reports_it_in_every_precision(subjqa_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForQuestionAnswering

    from indexer.sources.subjqa import load_subjqa
    from indexer.squad import to_training_examples
    from qa.readers.fast import installed
    from qa.readers.model_files import packaged_minilm_dir
    from qa.readers.reader import ReviewReader
    from qa.readers.training import train_reader

    out = tmp_path / "reader"
    examples = to_training_examples(load_subjqa(subjqa_dir, "electronics", "train").questions)
    train_reader(
        str(packaged_minilm_dir()),
        examples,
        out,
        domains=["electronics"],
        config=TrainingConfig(max_examples=16, epochs=0.5, answerability_weight=1.0, bf16=False),
        progress=False,
    )
    assert (out / ANSWERABILITY_HEAD_FILE).is_file()
    AutoModelForQuestionAnswering.from_pretrained(out)  # still a plain question-answering folder
    documents = [
        Document(id="1", content="The battery lasts all day and charges fast. " * 40, score=3.0),
        Document(id="2", content="The screen is fine.", score=1.0),
    ]
    values = {}
    for precision in ("fp32", "int8", *(("openvino",) if installed("openvino") else ())):
        reader = ReviewReader(model=str(out), precision=precision, group_by_length=False)  # type: ignore[arg-type]
        reader.warm_up()
        answers = reader.run(query="How is the battery?", documents=documents)["answers"]
        null = next(a for a in answers if a.data is None)
        values[precision] = null.meta["signals"]["answerability"]
        assert isinstance(values[precision], float)
    assert all(abs(v - values["fp32"]) < 0.5 for v in values.values())
    plain = ReviewReader(model=str(packaged_minilm_dir()))
    plain.warm_up()
    null = next(a for a in plain.run(query="battery?", documents=documents)["answers"] if a.data is None)
    assert null.meta["signals"]["answerability"] is None
