"""Knowledge distillation: teacher logits re-keyed by character, the student's loss, a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForQuestionAnswering, BertConfig

from qa.errors import DataError, ModelError
from qa.readers.distillation import (
    MASKED,
    TEACHER_END,
    TEACHER_START,
    DistillationCollator,
    DistilledReader,
    student_targets,
    teacher_window,
)
from qa.readers.model_files import READER_INFO_FILE, packaged_minilm_dir
from qa.readers.training import TrainingConfig, build_features, train_reader
from qa.readers.wrapper import reader_model

# "good battery life": review characters 0-4, 5-12, 13-17.
TEACHER_OFFSETS = [(0, 0), (0, 2), (0, 0), (0, 0), (0, 4), (5, 12), (13, 17), (0, 0)]  # <s> q </s></s> c </s>
TEACHER_SEQUENCE_IDS = [None, 0, None, None, 1, 1, 1, None]
STUDENT_OFFSETS = [(0, 0), (0, 2), (0, 0), (0, 4), (5, 9), (9, 12), (13, 17), (0, 0)]  # "batt" + "##ery"
STUDENT_SEQUENCE_IDS = [None, 0, None, 1, 1, 1, 1, None]


def test_teacher_logits_follow_the_characters_into_the_students_tokens() -> None:
    start = [9.0, -1.0, -1.0, -1.0, 1.0, 2.0, 3.0, -1.0]
    end = [8.0, -1.0, -1.0, -1.0, 4.0, 5.0, 6.0, -1.0]
    window = teacher_window(TEACHER_OFFSETS, TEACHER_SEQUENCE_IDS, 0, start, end)
    assert window is not None and (window.first_char, window.last_char) == (0, 17)
    starts, ends = student_targets([window], STUDENT_OFFSETS, STUDENT_SEQUENCE_IDS, 0)
    # CLS gets the teacher's null; "good" and "life" match; "batt" starts where "battery" does but
    # ends elsewhere, "##ery" ends where it ends; question and special tokens are masked.
    assert starts == [9.0, MASKED, MASKED, 1.0, 2.0, MASKED, 3.0, MASKED]
    assert ends == [8.0, MASKED, MASKED, 4.0, MASKED, 5.0, 6.0, MASKED]


def test_the_teacher_window_sharing_most_characters_is_used() -> None:
    first = teacher_window([(0, 0), (0, 4), (5, 12)], [None, 1, 1], 0, [1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    second = teacher_window([(0, 0), (5, 12), (13, 17)], [None, 1, 1], 0, [2.0, 2.0, 2.0], [2.0, 2.0, 2.0])
    assert first is not None and second is not None
    starts, _ = student_targets([first, second], [(0, 0), (13, 17)], [None, 1], 0)
    assert starts == [2.0, 2.0]
    assert student_targets([], [(0, 0), (13, 17)], [None, 1], 0) == ([MASKED, MASKED], [MASKED, MASKED])


def _tiny_qa_model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    return AutoModelForQuestionAnswering.from_config(config).eval()  # no dropout: the losses compare exactly


def test_the_students_loss_mixes_gold_spans_and_the_teacher() -> None:
    model = _tiny_qa_model()
    batch = {
        "input_ids": torch.randint(0, 50, (3, 8)),
        "start_positions": torch.tensor([0, 2, 3]),
        "end_positions": torch.tensor([0, 4, 3]),
    }
    with torch.no_grad():
        own = model(input_ids=batch["input_ids"])
    gold = DistilledReader(model, weight=0.5, temperature=2.0)(**batch)["loss"]
    agreeing = DistilledReader(model, weight=1.0, temperature=2.0)(
        **batch, teacher_start=own.start_logits, teacher_end=own.end_logits
    )["loss"]
    assert agreeing.item() == pytest.approx(0.0, abs=1e-5)  # a teacher the student already matches costs nothing
    other = torch.zeros(3, 8)
    other[:, 5] = 20.0
    mixed = DistilledReader(model, weight=0.5, temperature=2.0)(**batch, teacher_start=other, teacher_end=other)["loss"]
    assert mixed > 0.5 * gold  # the teacher's disagreement is added to half the gold loss
    assert reader_model(DistilledReader(model, 0.5, 2.0)) is model


def test_the_collator_pads_teacher_targets_with_the_mask() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_dir())
    rows = [
        {
            "input_ids": [101, 7, 102],
            "start_positions": 0,
            "end_positions": 0,
            TEACHER_START: [1.0, 2.0, 3.0],
            TEACHER_END: [1.0, 2.0, 3.0],
        },
        {
            "input_ids": [101, 102],
            "start_positions": 0,
            "end_positions": 0,
            TEACHER_START: [4.0, 5.0],
            TEACHER_END: [4.0, 5.0],
        },
    ]
    batch = DistillationCollator(tokenizer)(rows)
    assert batch["input_ids"].shape == batch[TEACHER_START].shape == (2, 3)
    assert batch[TEACHER_END][1].tolist() == [4.0, 5.0, MASKED]
    assert TEACHER_START in rows[0]  # the dataset's rows are not consumed


def test_a_student_learns_from_a_trained_teacher(subjqa_dir: Path, tiny_reader_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from indexer.sources.subjqa import load_subjqa
    from indexer.squad import to_training_examples

    examples = to_training_examples(load_subjqa(subjqa_dir, "electronics", "train").questions)[:16]
    config = TrainingConfig(max_examples=16, epochs=0.5, teacher=str(tiny_reader_dir), bf16=False)
    out = tmp_path / "student"
    record = train_reader(
        str(packaged_minilm_dir()), examples, out, domains=["electronics"], config=config, progress=False
    )
    assert record.extra["teacher_seconds"] > 0
    saved = json.loads((out / READER_INFO_FILE).read_text())
    assert saved["config"]["teacher"] == str(tiny_reader_dir)
    AutoModelForQuestionAnswering.from_pretrained(out)  # a plain reader folder
    # Every training window carries targets for its own tokens, CLS scored by the teacher.
    from qa.readers.distillation import read_with_teacher

    teacher = read_with_teacher(str(tiny_reader_dir), examples, max_seq_length=384, stride=128, progress=False)
    features = build_features(AutoTokenizer.from_pretrained(out), examples, config, teacher)
    for row in features:
        assert len(row[TEACHER_START]) == len(row["input_ids"]) and row[TEACHER_START][0] != MASKED
        assert any(value != MASKED for value in row[TEACHER_END][1:])


def test_bad_distillation_settings_are_refused(tmp_path: Path) -> None:
    from indexer.squad import SquadExample

    with pytest.raises(DataError, match="distillation_weight"):
        TrainingConfig(teacher="x", distillation_weight=0)
    with pytest.raises(DataError, match="distillation_temperature"):
        TrainingConfig(teacher="x", distillation_temperature=-1)
    with pytest.raises(DataError, match="cannot be combined"):
        TrainingConfig(teacher="x", subjectivity_weight=0.5)
    with pytest.raises(ModelError, match="teacher"):
        train_reader(
            str(packaged_minilm_dir()),
            [SquadExample("a", "Is it good?", "It is good.", None, None)],
            tmp_path / "out",
            domains=["electronics"],
            config=TrainingConfig(teacher=str(tmp_path / "missing")),
        )
