"""The extractive reader: transformers-haystack's ExtractiveReader with two additions it lacks.

`TransformersExtractiveReader` scores every span independently, but (a) has no maximum answer
length, so spans of hundreds of characters come back, and (b) derives its no-answer score from
the span scores, ignoring the no-answer (CLS) logit that a SQuAD 2.0-style model is trained to
produce. `ReviewReader` keeps the library's tokenisation, batching, device placement,
de-duplication and answer objects, and changes only the span scoring:
- spans longer than `max_answer_tokens` are masked out (as transformers' `utils_qa.py` does);
- the no-answer score is `sigmoid(calibration * (null_logit + no_answer_boost))`, where
  `null_logit` is the smallest CLS start+end logit over the windows of all documents (the
  window most likely to hold an answer, as in `utils_qa.py`), on the same scale as span scores
  `sigmoid(calibration * (start_logit + end_logit))`. `no_answer_boost` is tuned on dev data.
"""

from __future__ import annotations

import threading
from typing import Any

import torch
from haystack import ExtractedAnswer, component
from haystack.utils import ComponentDevice
from haystack_integrations.components.readers.transformers import TransformersExtractiveReader

from qa.errors import ModelError


@component
class ReviewReader(TransformersExtractiveReader):
    """Extractive reader with an answer-length cap and a CLS-logit no-answer score."""

    # Methods call super(ReviewReader, self), not super(): @component rebuilds the class, and the
    # zero-argument form would point at the pre-decoration class.
    def __init__(
        self,
        model: str = "deepset/minilm-uncased-squad2",
        device: ComponentDevice | None = None,
        top_k: int = 3,
        max_seq_length: int = 384,
        stride: int = 128,
        no_answer: bool = True,
        max_answer_tokens: int = 30,
        no_answer_boost: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super(ReviewReader, self).__init__(
            model=model,
            device=device,
            top_k=top_k,
            max_seq_length=max_seq_length,
            stride=stride,
            no_answer=no_answer,
            **kwargs,
        )
        self.max_answer_tokens = max_answer_tokens
        self.no_answer_boost = no_answer_boost
        # Null logits travel from _postprocess to _nest_answers within one run() call; a
        # thread-local keeps concurrent callers (e.g. UI sessions sharing a reader) apart.
        self._null_logits = threading.local()

    def warm_up(self) -> None:
        """Load the model, turning loading failures into a clear ModelError."""
        try:
            super(ReviewReader, self).warm_up()
        except (OSError, ValueError) as error:
            raise ModelError(
                f"Cannot load the reader model {self.model_name_or_path!r}: {error}. "
                "Pass a local folder (e.g. one made by `reviewqa train-reader`) or a hub name while online."
            ) from error

    def to_dict(self) -> dict[str, Any]:
        """Serialise, including this class's own parameters."""
        data = super(ReviewReader, self).to_dict()
        data["init_parameters"]["max_answer_tokens"] = self.max_answer_tokens
        data["init_parameters"]["no_answer_boost"] = self.no_answer_boost
        return data

    def _postprocess(
        self,
        *,
        start: torch.Tensor,
        end: torch.Tensor,
        sequence_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        answers_per_seq: int,
        encodings: list[Any],
    ) -> tuple[list[list[int]], list[list[int]], list[torch.Tensor]]:
        # Position 0 is the CLS token (right padding): its start+end logit is the no-answer logit.
        self._null_logits.value = (start[:, 0] + end[:, 0]).detach().float().cpu()
        return self._postprocess_banded(
            start=start,
            end=end,
            sequence_ids=sequence_ids,
            attention_mask=attention_mask,
            answers_per_seq=answers_per_seq,
            encodings=encodings,
        )

    def _postprocess_banded(
        self,
        *,
        start: torch.Tensor,
        end: torch.Tensor,
        sequence_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        answers_per_seq: int,
        encodings: list[Any],
    ) -> tuple[list[list[int]], list[list[int]], list[torch.Tensor]]:
        """Top spans per window under the start <= end < start + max_answer_tokens constraint.

        The parent's version of this step allows spans of any length; this one adds the band.
        """
        seq_len = start.shape[-1]
        positions = torch.arange(seq_len, device=start.device)
        offset = positions[None, :] - positions[:, None]  # end - start
        allowed = (offset >= 0) & (offset < self.max_answer_tokens)
        mask = torch.logical_and(sequence_ids == 1, attention_mask == 1)
        start = torch.where(mask, start, -torch.inf).unsqueeze(-1)
        end = torch.where(mask, end, -torch.inf).unsqueeze(-2)
        logits = start + end
        logits = torch.where(allowed, logits, -torch.inf)
        probabilities = torch.sigmoid(logits * self.calibration_factor).flatten(-2, -1)
        candidates = torch.topk(probabilities, min(answers_per_seq, probabilities.shape[-1]))
        starts_tok = (candidates.indices // seq_len).cpu()
        ends_tok = (candidates.indices % seq_len).cpu()
        values = candidates.values.cpu()
        starts: list[list[int]] = []
        ends: list[list[int]] = []
        kept: list[torch.Tensor] = []
        for row, encoding in enumerate(encodings):
            valid = values[row] > 0
            starts.append([encoding.token_to_chars(int(t))[0] for t in starts_tok[row][valid]])
            ends.append([encoding.token_to_chars(int(t))[1] for t in ends_tok[row][valid]])
            kept.append(values[row][valid])
        return starts, ends, kept

    def _nest_answers(self, **kwargs: Any) -> list[list[ExtractedAnswer]]:
        no_answer = kwargs.pop("no_answer")
        nested = super(ReviewReader, self)._nest_answers(no_answer=False, **kwargs)
        if not no_answer:
            return nested
        null_logit = float(self._null_logits.value.min())
        score = float(torch.sigmoid(torch.tensor((null_logit + self.no_answer_boost) * self.calibration_factor)))
        query = kwargs["queries"][0]
        answers = nested[0] + [ExtractedAnswer(data=None, query=query, meta={}, document=None, score=score)]
        threshold = kwargs.get("score_threshold")
        if threshold is not None:
            answers = [a for a in answers if a.score >= threshold]
        return [sorted(answers, key=lambda a: a.score, reverse=True)]
