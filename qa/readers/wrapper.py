"""A question-answering model inside a training-only loss: the Trainer optimises it, only the model is saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn


class TrainingWrapper(nn.Module):
    """A question-answering model with a training-only loss around it; only the model is saved.

    `forward` is the `Trainer` contract: span logits, and the loss when span labels are given.
    Subclasses turn the span loss into their own with `loss`, reading their extra labels.
    """

    #: Does `loss` read the encoder's hidden states?
    needs_hidden_states = False
    #: Feature keys, beside the span labels, that `loss` reads (the Trainer's `label_names`).
    extra_labels: tuple[str, ...] = ()

    def __init__(self, qa_model: Any) -> None:
        """:param qa_model: a transformers `AutoModelForQuestionAnswering` model; it is what gets saved."""
        super().__init__()
        self.qa_model = qa_model
        self.config = qa_model.config  # Trainer reads a few config fields

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        **labels: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """Span logits, and the training loss when span labels are given.

        :param labels: the subclass's extra labels (feature keys beside the span labels).
        """
        inputs = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": token_type_ids,
            "start_positions": start_positions,
            "end_positions": end_positions,
        }
        outputs = self.qa_model(
            **{k: v for k, v in inputs.items() if v is not None}, output_hidden_states=self.needs_hidden_states
        )
        result = {"start_logits": outputs.start_logits, "end_logits": outputs.end_logits}
        if outputs.loss is not None:
            result["loss"] = self.loss(outputs, **labels)
        return result

    def loss(self, outputs: Any, **labels: torch.Tensor) -> torch.Tensor:
        """The training loss from the model's outputs (`outputs.loss` is the span loss)."""
        return outputs.loss

    def save_extras(self, folder: Path) -> None:
        """Save what the reader keeps beside the model (nothing: training-only heads are dropped)."""


def save_extras(model: Any, folder: Path) -> None:
    """Save a wrapper's kept parts (e.g. the answerability head) into the reader's folder."""
    if isinstance(model, TrainingWrapper):
        model.save_extras(folder)


def reader_model(model: Any) -> Any:
    """The question-answering model to save: unwrapped from a `TrainingWrapper` if needed."""
    return model.qa_model if isinstance(model, TrainingWrapper) else model
