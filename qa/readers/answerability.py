"""An answerability head trained together with the span head, and kept with the reader.

A SQuAD 2.0-style reader says "no answer" through the span head itself (the CLS token's start+end
logit). This module adds a separate binary classifier on the encoder's first-token state that learns
whether a window holds the answer; its loss is added to the span loss with a weight during training
(`AnswerabilityMultiTask`). Unlike the subjectivity head, it is saved beside the model
(`answerability_head.safetensors`), and at inference the reader's forward pass (`qa.readers.fast`)
returns its logit per window; the largest over the windows read becomes the decision signal
`answerability` (`qa.readers.decision`). The model folder itself stays a plain question-answering
model, so `ExtractiveReader` and transformers' pipeline still load it (without the head).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from qa.readers.wrapper import TrainingWrapper

#: Feature key of the window label: 1 if the window holds the answer, 0 if not.
ANSWERABLE_LABEL = "answerable"
#: The head's weights, inside the reader's folder.
ANSWERABILITY_HEAD_FILE = "answerability_head.safetensors"


class AnswerabilityHead(nn.Module):
    """One logit per window from its first-token state: does this window hold the answer?

    :param hidden_size: the encoder's hidden size.
    """

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.dropout = nn.Dropout(0.1)
        self.linear = nn.Linear(hidden_size, 1)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Logits of shape (windows,) from the last layer's states, shape (windows, length, hidden)."""
        return self.linear(self.dropout(hidden_states[:, 0])).squeeze(-1)

    def save(self, folder: Path) -> None:
        """Write the weights into a reader's folder."""
        from safetensors.torch import save_file

        save_file(
            {k: v.detach().float().cpu().contiguous() for k, v in self.state_dict().items()},
            folder / ANSWERABILITY_HEAD_FILE,
        )

    @classmethod
    def load(cls, folder: Path | None, hidden_size: int) -> AnswerabilityHead | None:
        """The head saved in `folder` (in eval mode), or None when the reader was trained without one."""
        if folder is None or not (folder / ANSWERABILITY_HEAD_FILE).is_file():
            return None
        from safetensors.torch import load_file

        head = cls(hidden_size)
        head.load_state_dict(load_file(folder / ANSWERABILITY_HEAD_FILE))
        return head.eval()


class AnswerabilityMultiTask(TrainingWrapper):
    """A question-answering model plus the answerability head, trained on the sum of both losses."""

    needs_hidden_states = True
    extra_labels = (ANSWERABLE_LABEL,)

    def __init__(self, qa_model: Any, weight: float) -> None:
        """Wrap a model.

        :param qa_model: a transformers `AutoModelForQuestionAnswering` model.
        :param weight: weight of the head's binary cross-entropy added to the span loss (> 0).
        """
        super().__init__(qa_model)
        self.weight = weight
        self.answerability_head = AnswerabilityHead(qa_model.config.hidden_size)

    def loss(self, outputs: Any, answerable: torch.Tensor | None = None, **labels: torch.Tensor) -> torch.Tensor:
        """The span loss plus the weighted binary cross-entropy of the head (when the label is given)."""
        if answerable is None:
            return outputs.loss
        logits = self.answerability_head(outputs.hidden_states[-1]).float()
        return outputs.loss + self.weight * nn.functional.binary_cross_entropy_with_logits(logits, answerable.float())

    def save_extras(self, folder: Path) -> None:
        """Save the head beside the model."""
        self.answerability_head.save(folder)


class ReaderWithAnswerability(nn.Module):
    """A question-answering model and its head as one module: (start, end, answerability) logits.

    The shape the reader's forward pass and the OpenVINO conversion both run.

    :param qa_model: the loaded `AutoModelForQuestionAnswering` model.
    :param head: its trained `AnswerabilityHead`.
    """

    def __init__(self, qa_model: Any, head: AnswerabilityHead) -> None:
        super().__init__()
        self.qa_model = qa_model
        self.head = head.to(qa_model.device)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Start logits, end logits (windows, length) and answerability logits (windows,)."""
        output = self.qa_model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return output.start_logits, output.end_logits, self.head(output.hidden_states[-1])


def inference_module(model: Any, model_dir: Path | None) -> Any:
    """`model` with the answerability head saved in `model_dir` (`ReaderWithAnswerability`), or `model` alone."""
    head = AnswerabilityHead.load(model_dir, model.config.hidden_size)
    return model if head is None else ReaderWithAnswerability(model, head).eval()
