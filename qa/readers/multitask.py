"""Multi-task reader training: a question-subjectivity head beside the span head (training only).

SubjQA labels every question as subjective or not; Bjerva et al. (EMNLP 2020) report gains on
subjective questions from learning that label together with the spans. The extra head reads the
encoder's first-token state; its loss is added to the span loss with a weight. Only the wrapped
question-answering model is saved, so the trained folder loads with `ExtractiveReader` as before.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

#: Feature key of the subjectivity label (0/1), one per window.
SUBJECTIVITY_LABEL = "subjective"


class TrainingWrapper(nn.Module):
    """A question-answering model with a training-only loss around it; only the model is saved."""

    def __init__(self, qa_model: Any) -> None:
        """:param qa_model: a transformers `AutoModelForQuestionAnswering` model; it is what gets saved."""
        super().__init__()
        self.qa_model = qa_model
        self.config = qa_model.config  # Trainer reads a few config fields


class SubjectivityMultiTask(TrainingWrapper):
    """A question-answering model plus a binary subjectivity classifier on its first token."""

    def __init__(self, qa_model: Any, weight: float) -> None:
        """Wrap a model.

        :param qa_model: a transformers `AutoModelForQuestionAnswering` model; it is what gets saved.
        :param weight: weight of the subjectivity cross-entropy added to the span loss (> 0).
        """
        super().__init__(qa_model)
        self.weight = weight
        self.subjectivity_head = nn.Linear(qa_model.config.hidden_size, 2)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        subjective: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Span logits, and the summed loss when labels are given (the `Trainer` contract)."""
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        outputs = self.qa_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            start_positions=start_positions,
            end_positions=end_positions,
            output_hidden_states=True,
            **extra,
        )
        result = {"start_logits": outputs.start_logits, "end_logits": outputs.end_logits}
        if outputs.loss is not None:
            loss = outputs.loss
            if subjective is not None:
                logits = self.subjectivity_head(outputs.hidden_states[-1][:, 0])
                loss = loss + self.weight * nn.functional.cross_entropy(logits.float(), subjective)
            result["loss"] = loss
        return result


def reader_model(model: Any) -> Any:
    """The question-answering model to save: unwrapped from a `TrainingWrapper` if needed."""
    return model.qa_model if isinstance(model, TrainingWrapper) else model
