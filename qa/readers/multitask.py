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

from qa.readers.wrapper import TrainingWrapper

#: Feature key of the subjectivity label (0/1), one per window.
SUBJECTIVITY_LABEL = "subjective"


class SubjectivityMultiTask(TrainingWrapper):
    """A question-answering model plus a binary subjectivity classifier on its first token."""

    needs_hidden_states = True
    extra_labels = (SUBJECTIVITY_LABEL,)

    def __init__(self, qa_model: Any, weight: float) -> None:
        """Wrap a model.

        :param qa_model: a transformers `AutoModelForQuestionAnswering` model; it is what gets saved.
        :param weight: weight of the subjectivity cross-entropy added to the span loss (> 0).
        """
        super().__init__(qa_model)
        self.weight = weight
        self.subjectivity_head = nn.Linear(qa_model.config.hidden_size, 2)

    def loss(self, outputs: Any, subjective: torch.Tensor | None = None, **labels: torch.Tensor) -> torch.Tensor:
        """The span loss plus the weighted subjectivity cross-entropy (when the label is given)."""
        if subjective is None:
            return outputs.loss
        logits = self.subjectivity_head(outputs.hidden_states[-1][:, 0])
        return outputs.loss + self.weight * nn.functional.cross_entropy(logits.float(), subjective)
