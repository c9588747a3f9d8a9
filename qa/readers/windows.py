"""Question + review pairs as overlapping token windows: the one tokenisation of reader training."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from indexer.squad import SquadExample


def encode_windows(tokenizer: Any, examples: Sequence[SquadExample], max_seq_length: int, stride: int) -> Any:
    """Tokenise (question, review) pairs into overflowing windows with character offsets.

    The standard SQuAD recipe: a review longer than a window continues in the next one, `stride`
    tokens overlapping; the question comes first unless the tokenizer pads on the left.

    :param tokenizer: a transformers tokenizer (fast: offsets and `sequence_ids` are needed).
    :param examples: the pairs to encode.
    :param max_seq_length: tokens per window, question and special tokens included.
    :param stride: tokens of overlap between consecutive windows of one review.
    :returns: the tokenizer's `BatchEncoding`, with `offset_mapping` and `overflow_to_sample_mapping`.
    """
    pad_right = tokenizer.padding_side == "right"
    questions = [e.question.strip() for e in examples]
    contexts = [e.context for e in examples]
    return tokenizer(
        questions if pad_right else contexts,
        contexts if pad_right else questions,
        truncation="only_second" if pad_right else "only_first",
        max_length=max_seq_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )


def cls_position(tokenizer: Any, input_ids: Sequence[int]) -> int:
    """Position of the CLS token in one window (the "no answer" label), 0 if it has none."""
    return input_ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in input_ids else 0


def context_positions(sequence_ids: Sequence[int | None]) -> list[int]:
    """Positions of one window's review tokens (sequence id 1: the question comes first)."""
    return [i for i, s in enumerate(sequence_ids) if s == 1]
