"""Semantic answer similarity of answer pairs, through Haystack's `SASEvaluator`.

The evaluation harness (eval/) scores answers through this class so that only qa/ touches the
framework; the SQuAD-style handling of "no answer" lives in `eval.sas`.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.config import Settings
from qa.device import resolve_device
from qa.hub import require_hub_model
from qa.retrievers.encoder_models import resolve_encoder_model


class AnswerSimilarity:
    """Similarity in [0, 1] (cosine for bi-encoders, sigmoid score for cross-encoders) of answer pairs."""

    def __init__(self, settings: Settings, model: str | None = None) -> None:
        from haystack.components.evaluators import SASEvaluator
        from haystack.utils import ComponentDevice

        resolved = resolve_encoder_model(model or settings.eval.sas_model, settings)
        require_hub_model(resolved.name_or_path, "answer-similarity model")
        self.model_name_or_path = resolved.name_or_path
        self._evaluator = SASEvaluator(
            model=resolved.name_or_path, device=ComponentDevice.from_str(resolve_device(settings.device))
        )

    def pair_scores(self, predicted: Sequence[str], gold: Sequence[str]) -> list[float]:
        """One score per (predicted[i], gold[i]) pair; both lists must have the same length."""
        if not predicted:
            return []
        # SASEvaluator returns [0.0] (one score) for empty input, so empty input is answered above.
        result = self._evaluator.run(ground_truth_answers=list(gold), predicted_answers=list(predicted))
        scores: list[float] = result["individual_scores"]  # type: ignore[assignment]  # typed float | list
        return [float(s) for s in scores]
