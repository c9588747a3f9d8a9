"""The extractive reader: transformers-haystack's ExtractiveReader with two additions it lacks.

`TransformersExtractiveReader` scores every span independently, but (a) has no maximum answer
length, so spans of hundreds of characters come back, and (b) derives its no-answer score from
the span scores, ignoring the no-answer (CLS) logit that a SQuAD 2.0-style model is trained to
produce. `ReviewReader` keeps the library's tokenisation, batching, device placement,
de-duplication and answer objects, and changes only the span scoring:
- spans longer than `max_answer_tokens` are masked out (as transformers' `utils_qa.py` does);
- whether to answer is decided by `qa.readers.decision.decide` from the model's own no-answer
  signal, `null_logit` (the smallest CLS start+end logit over the windows of all documents, the
  window most likely to hold an answer, as in `utils_qa.py`), the best span's logit, its length
  and the retrieval rank and score of its review, and, with `similarity_model`, a sentence
  encoder's cosines of the question with the span, its sentence and its review
  (`qa.readers.similarity_signals`). The no-answer answer scores `1 - p`, where `p`
  is the decision's probability that answering beats abstaining, and it is ranked first when the
  decision abstains and after every span when it answers. Its `meta` carries `answer_probability`,
  `confidence` (words) and the `signals` the decision read.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from haystack import Document, ExtractedAnswer, component
from haystack.utils import ComponentDevice
from haystack_integrations.components.readers.transformers import TransformersExtractiveReader

from qa.errors import ModelError
from qa.hub import require_hub_model
from qa.readers.answerability import ANSWERABILITY_HEAD_FILE
from qa.readers.decision import AnswerDecision, DecisionSignals, Verdict, decide
from qa.readers.fast import CPU_ONLY, FastQAForward, Precision
from qa.readers.similarity_signals import QuestionSimilarity


@component
class ReviewReader(TransformersExtractiveReader):
    """Extractive reader with an answer-length cap and a learned answer decision.

    :param model: hub id or local folder of a question-answering model.
    :param device: where to run it (None: the library's choice).
    :param top_k: spans to return per question (plus the no-answer answer when `no_answer`).
    :param max_seq_length: tokens per window.
    :param stride: tokens of overlap between windows of a long review.
    :param no_answer: also return the no-answer answer, ranked by the decision.
    :param max_answer_tokens: spans longer than this are never returned.
    :param no_answer_boost: the single CLS-logit threshold (answer iff span - null logit > boost),
        used when no `decision` is given.
    :param decision: fitted `AnswerDecision` parameters (`AnswerDecision.to_dict()`); overrides the boost.
    :param precision: inference arithmetic, "fp32", "bf16", "int8", "openvino" or "openvino-int8" (the last three
        on the CPU only); see `qa.readers.fast`.
    :param group_by_length: run windows grouped by length, each group trimmed to its longest window.
    :param similarity_model: a sentence encoder (folder or hub id) whose question-span, question-sentence
        and question-review cosines join the decision's signals; None = without them.
    :param kwargs: passed on to `TransformersExtractiveReader`.

    Run inputs and outputs are those of `TransformersExtractiveReader`: `query`, `documents`, `top_k`,
    ... -> `answers` (`ExtractedAnswer`s, best first).
    """

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
        decision: dict[str, Any] | None = None,
        precision: Precision = "fp32",
        group_by_length: bool = True,
        similarity_model: str | None = None,
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
        self.decision = decision
        self.precision: Precision = precision
        self.group_by_length = group_by_length
        self.similarity_model = similarity_model
        self._similarity = QuestionSimilarity(similarity_model, device=device) if similarity_model is not None else None
        self.answer_decision = (
            AnswerDecision.from_dict(decision) if decision is not None else AnswerDecision.from_boost(no_answer_boost)
        )
        # Null logits travel from _postprocess to _nest_answers within one run() call; a
        # thread-local keeps concurrent callers (e.g. UI sessions sharing a reader) apart.
        self._null_logits = threading.local()

    def warm_up(self) -> None:
        """Load the model, turning loading failures into a clear ModelError (at once when the hub is unreachable)."""
        require_hub_model(self.model_name_or_path, "reader")
        try:
            super(ReviewReader, self).warm_up()
        except (OSError, ValueError) as error:
            raise ModelError(
                f"Cannot load the reader model {self.model_name_or_path!r}: {error}. "
                "Pass a local folder (e.g. one made by `reviewqa train-reader`) or a hub name while online."
            ) from error
        if self._similarity is not None:
            require_hub_model(self._similarity.model, "answer-similarity encoder")
            try:
                self._similarity.warm_up()
            except (OSError, ValueError) as error:
                raise ModelError(
                    f"Cannot load the answer-similarity encoder {self._similarity.model!r}: {error}"
                ) from error
        folder = Path(self.model_name_or_path) if isinstance(self.model_name_or_path, str) else None
        has_head = folder is not None and (folder / ANSWERABILITY_HEAD_FILE).is_file()
        if isinstance(self.model, FastQAForward) or not (self.group_by_length or self.precision != "fp32" or has_head):
            return
        model: Any = self.model
        if self.precision in CPU_ONLY and model.device.type != "cpu":
            raise ModelError(
                f"The {self.precision} reader runs on the CPU only: use --device cpu or another precision."
            )
        # called like the model
        self.model = FastQAForward(model, self.precision, folder)  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Serialise, including this class's own parameters."""
        data = super(ReviewReader, self).to_dict()
        data["init_parameters"]["max_answer_tokens"] = self.max_answer_tokens
        data["init_parameters"]["no_answer_boost"] = self.no_answer_boost
        data["init_parameters"]["decision"] = self.decision
        data["init_parameters"]["precision"] = self.precision
        data["init_parameters"]["group_by_length"] = self.group_by_length
        data["init_parameters"]["similarity_model"] = self.similarity_model
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
        self._null_logits.answerability = (
            self.model.take_answerability() if isinstance(self.model, FastQAForward) else None
        )
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

    def span_verdicts(
        self, answers: list[ExtractedAnswer], documents: list[Document]
    ) -> list[tuple[ExtractedAnswer, Verdict]]:
        """The decision for each span of one `run` output, as if it were the best span.

        For callers that keep several spans per question (pros and cons): each span is judged by
        `decide` with its own logit, length and review rank against the run's no-answer logit.

        :param answers: the `answers` of one `run` call (with its no-answer answer).
        :param documents: the documents given to that call, in the same order.
        """
        null = next((a for a in answers if a.data is None and "signals" in a.meta), None)
        if null is None:
            return []
        null_logit = float(null.meta["signals"]["null_logit"])
        answerability = null.meta["signals"].get("answerability")
        spans = [a for a in answers if a.data is not None]
        signals = [decision_signals(a, null_logit, documents, self.calibration_factor, answerability) for a in spans]
        signals = self._with_similarities(null.query, spans, signals)
        return [(a, decide(s, self.answer_decision)) for a, s in zip(spans, signals, strict=True)]

    def _with_similarities(
        self, query: str, spans: list[ExtractedAnswer], signals: list[DecisionSignals]
    ) -> list[DecisionSignals]:
        """`signals` (one per span) with the sentence encoder's cosines, when the reader has one."""
        if self._similarity is None or not spans:
            return signals
        scores = self._similarity.scores(query, spans)
        return [
            replace(s, span_similarity=span, sentence_similarity=sentence, review_similarity=review)
            for s, (span, sentence, review) in zip(signals, scores, strict=True)
        ]

    def _nest_answers(self, **kwargs: Any) -> list[list[ExtractedAnswer]]:
        no_answer = kwargs.pop("no_answer")
        nested = super(ReviewReader, self)._nest_answers(no_answer=False, **kwargs)
        if not no_answer:
            return nested
        spans = sorted(nested[0], key=lambda a: a.score, reverse=True)
        signals = decision_signals(
            spans[0] if spans else None,
            float(self._null_logits.value.min()),
            kwargs["flattened_documents"],
            self.calibration_factor,
            answerability=_largest(self._null_logits.answerability),
        )
        signals = self._with_similarities(kwargs["queries"][0], spans[:1], [signals])[0]
        verdict = decide(signals, self.answer_decision)
        meta = {"answer_probability": verdict.probability, "confidence": verdict.words, "signals": signals.to_dict()}
        abstain = ExtractedAnswer(
            data=None, query=kwargs["queries"][0], meta=meta, document=None, score=1 - verdict.probability
        )
        answers = [*spans, abstain] if verdict.answer else [abstain, *spans]
        threshold = kwargs.get("score_threshold")
        if threshold is not None:
            answers = [a for a in answers if a.score >= threshold]
        return [answers]


def _largest(values: torch.Tensor | None) -> float | None:
    return float(values.max()) if values is not None and values.numel() else None


def _logit(probability: float) -> float:
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def decision_signals(
    best: ExtractedAnswer | None,
    null_logit: float,
    documents: list[Document],
    calibration: float,
    answerability: float | None = None,
) -> DecisionSignals:
    """The decision's inputs for one question: the best span (None if none), its review's retrieval place,
    and the answerability head's largest window logit (None: the reader has no head)."""
    if best is None or best.data is None:
        return DecisionSignals(
            span_logit=None, null_logit=null_logit, reviews=len(documents), answerability=answerability
        )
    ids = [d.id for d in documents]
    rank = ids.index(best.document.id) if best.document is not None and best.document.id in ids else 0
    scores = [d.score for d in documents if d.score is not None]
    top = max(scores, default=0.0)
    own = documents[rank].score if documents else None
    ratio = own / top if own is not None and top > 0 else 1.0
    return DecisionSignals(
        span_logit=_logit(best.score) / calibration,
        null_logit=null_logit,
        span_words=len(best.data.split()),
        rank=rank,
        retrieval_ratio=float(ratio),
        reviews=len(documents),
        retrieval_score=float(own) if own is not None else 0.0,
        answerability=answerability,
    )
