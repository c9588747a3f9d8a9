"""Knowledge distillation: a small reader learns from a larger trained reader's span scores.

The teacher (for example all-mpnet-base-v2 fine-tuned on SubjQA) reads every training example once,
before training. Its start and end logits are kept per *character offset* of the review, window by
window, so the student gets a target for each of its own tokens even when its tokenizer or window
layout differs from the teacher's (MPNet's pair encoding has one separator more than BERT's). A
student token whose start (end) character the teacher scored nowhere is masked out of the target.

The student's loss (Hinton et al., 2015; the SQuAD recipe of DistilBERT):
``(1 - w) * gold span cross-entropy + w * T^2 * KL(teacher || student)`` at temperature ``T``,
averaged over the start and the end distributions. Only the student is saved: the trained folder is
a plain question-answering model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from indexer.squad import SquadExample
from qa.readers.windows import cls_position, context_positions, encode_windows
from qa.readers.wrapper import TrainingWrapper

#: Feature keys of the teacher's per-token start/end logits, one list per window.
TEACHER_START, TEACHER_END = "teacher_start", "teacher_end"
#: Target logit of a token the teacher did not score (padding, question tokens, unmatched offsets).
MASKED = -1.0e4


@dataclass(frozen=True)
class TeacherWindow:
    """The teacher's scores over one window of one example's context.

    :param first_char: first character of the review this window covers.
    :param last_char: one past the last character it covers.
    :param null_start: the teacher's start logit of its CLS token (the "no answer" position).
    :param null_end: the teacher's end logit of its CLS token.
    :param starts: start logit of each context token, keyed by the token's first character.
    :param ends: end logit of each context token, keyed by one past the token's last character.
    """

    first_char: int
    last_char: int
    null_start: float
    null_end: float
    starts: dict[int, float]
    ends: dict[int, float]

    def overlap(self, first_char: int, last_char: int) -> int:
        """Characters this window shares with the range [first_char, last_char)."""
        return max(0, min(self.last_char, last_char) - max(self.first_char, first_char))


def context_span(offsets: Sequence[tuple[int, int]], sequence_ids: Sequence[int | None]) -> tuple[int, int] | None:
    """[first, last) characters of the review that a window's context tokens cover, or None if none."""
    context = context_positions(sequence_ids)
    return (offsets[context[0]][0], offsets[context[-1]][1]) if context else None


def teacher_window(
    offsets: Sequence[tuple[int, int]],
    sequence_ids: Sequence[int | None],
    cls_index: int,
    start_logits: Sequence[float],
    end_logits: Sequence[float],
) -> TeacherWindow | None:
    """One window's teacher logits, re-keyed from token positions to review characters."""
    span = context_span(offsets, sequence_ids)
    if span is None:
        return None
    context = context_positions(sequence_ids)
    return TeacherWindow(
        first_char=span[0],
        last_char=span[1],
        null_start=float(start_logits[cls_index]),
        null_end=float(end_logits[cls_index]),
        starts={offsets[i][0]: float(start_logits[i]) for i in context},
        ends={offsets[i][1]: float(end_logits[i]) for i in context},
    )


def student_targets(
    windows: Sequence[TeacherWindow],
    offsets: Sequence[tuple[int, int]],
    sequence_ids: Sequence[int | None],
    cls_index: int,
) -> tuple[list[float], list[float]]:
    """The teacher's start/end logits for each token of one student window.

    The teacher window that shares most characters with the student window provides the targets;
    the student's CLS token gets the teacher's null logits; tokens it cannot match get `MASKED`.

    :param windows: the teacher's windows over the same example.
    :param offsets: the student window's (start, end) character offsets per token.
    :param sequence_ids: the student window's sequence id per token (1 = review).
    :param cls_index: position of the student's CLS token.
    """
    start, end = [MASKED] * len(offsets), [MASKED] * len(offsets)
    span = context_span(offsets, sequence_ids)
    if not windows or span is None:
        return start, end
    teacher = max(windows, key=lambda window: window.overlap(*span))
    start[cls_index], end[cls_index] = teacher.null_start, teacher.null_end
    for i in context_positions(sequence_ids):
        start[i] = teacher.starts.get(offsets[i][0], MASKED)
        end[i] = teacher.ends.get(offsets[i][1], MASKED)
    return start, end


def read_with_teacher(
    teacher: str,
    examples: Sequence[SquadExample],
    *,
    max_seq_length: int,
    stride: int,
    device: str = "cpu",
    bf16: bool = False,
    batch_size: int = 32,
    progress: bool = True,
) -> list[list[TeacherWindow]]:
    """The teacher's windows over every example, in the examples' order (one forward pass each).

    :param teacher: folder (or hub id) of a trained question-answering model.
    :param examples: the student's training examples.
    :param max_seq_length: tokens per window (the student's setting).
    :param stride: overlap between windows (the student's setting).
    :param device: where the teacher runs.
    :param bf16: run the teacher under bfloat16 autocast (where the device supports it natively).
    :param batch_size: windows per forward pass; windows are sorted by length to pad little.
    :param progress: show a progress bar.
    """
    from tqdm.auto import tqdm
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(teacher)
    model = AutoModelForQuestionAnswering.from_pretrained(teacher).to(device).eval()
    encoded = encode_windows(tokenizer, examples, max_seq_length, stride)
    order = sorted(range(len(encoded["input_ids"])), key=lambda i: len(encoded["input_ids"][i]))
    windows: list[list[TeacherWindow]] = [[] for _ in examples]
    for first in tqdm(range(0, len(order), batch_size), desc="Teacher reading", disable=not progress):
        batch = order[first : first + batch_size]
        inputs = tokenizer.pad(
            {key: [encoded[key][i] for i in batch] for key in tokenizer.model_input_names}, return_tensors="pt"
        ).to(device)
        with torch.inference_mode(), torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            outputs = model(**inputs)
        for row, i in enumerate(batch):
            window = teacher_window(
                encoded["offset_mapping"][i],
                encoded.sequence_ids(i),
                cls_position(tokenizer, encoded["input_ids"][i]),
                outputs.start_logits[row].float().tolist(),
                outputs.end_logits[row].float().tolist(),
            )
            if window is not None:
                windows[encoded["overflow_to_sample_mapping"][i]].append(window)
    return windows


def pad_targets(targets: list[dict[str, list[float]]], length: int) -> dict[str, torch.Tensor]:
    """Stack the windows' teacher targets into tensors, each row padded with `MASKED` to `length`."""
    return {
        key: torch.tensor([row[key] + [MASKED] * (length - len(row[key])) for row in targets], dtype=torch.float32)
        for key in (TEACHER_START, TEACHER_END)
    }


class DistillationCollator:
    """Dynamic padding for model inputs (transformers' collator) and for the teacher's targets."""

    def __init__(self, tokenizer: Any) -> None:
        """:param tokenizer: the student's tokenizer (pads the model inputs)."""
        from transformers import DataCollatorWithPadding

        self.pad_inputs = DataCollatorWithPadding(tokenizer)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Collate a batch: padded inputs, labels and teacher targets as tensors."""
        features = [dict(feature) for feature in features]  # the dataset's rows stay intact
        targets = [{key: feature.pop(key) for key in (TEACHER_START, TEACHER_END)} for feature in features]
        batch = dict(self.pad_inputs(features))
        batch.update(pad_targets(targets, batch["input_ids"].shape[1]))
        return batch


class DistilledReader(TrainingWrapper):
    """A student question-answering model trained on gold spans and on a teacher's logits."""

    extra_labels = (TEACHER_START, TEACHER_END)

    def __init__(self, qa_model: Any, weight: float, temperature: float) -> None:
        """Wrap a student.

        :param qa_model: the student, a transformers `AutoModelForQuestionAnswering` model; it is what gets saved.
        :param weight: share of the distillation loss, in (0, 1]; the gold span loss gets 1 - weight.
        :param temperature: softmax temperature of both distributions in the distillation loss (> 0).
        """
        super().__init__(qa_model)
        self.weight, self.temperature = weight, temperature

    def loss(
        self,
        outputs: Any,
        teacher_start: torch.Tensor | None = None,
        teacher_end: torch.Tensor | None = None,
        **labels: torch.Tensor,
    ) -> torch.Tensor:
        """(1 - w) * the span loss + w * the distillation loss (the span loss alone without targets)."""
        if teacher_start is None or teacher_end is None:
            return outputs.loss
        soft = (self._kl(outputs.start_logits, teacher_start) + self._kl(outputs.end_logits, teacher_end)) / 2
        return (1 - self.weight) * outputs.loss + self.weight * soft

    def _kl(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """T^2 * KL(teacher || student) over one batch of windows, softened at the temperature."""
        t = self.temperature
        return (
            nn.functional.kl_div(
                nn.functional.log_softmax(student.float() / t, dim=-1),
                nn.functional.softmax(teacher.float() / t, dim=-1),
                reduction="batchmean",
            )
            * t**2
        )
