"""Semantic answer similarity: SQuAD-style no-answer handling, and the real SASEvaluator underneath."""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

import pytest
from haystack.components.evaluators import SASEvaluator

from eval.sas import sas_scores
from qa.config import Settings
from qa.readers.model_files import packaged_minilm_dir
from qa.similarity import AnswerSimilarity


def _exact_or_quarter(predicted: Sequence[str], gold: Sequence[str]) -> list[float]:
    """A stand-in scorer with hand-checkable values: 1 for the same text, else 0.25."""
    return [1.0 if p == g else 0.25 for p, g in zip(predicted, gold, strict=True)]


def test_no_answer_handling_and_max_over_golds() -> None:
    predictions = [None, "a span", None, "", "long life", "screen"]
    golds = [(), (), ("ten hours",), ("ten hours",), ("ten hours", "long life"), ("the", "display")]
    score = sas_scores(_exact_or_quarter, predictions, golds, model="stand-in")
    # 1: abstain on no-answer; 0: span on no-answer; 0: abstain ("" too) on answerable;
    # 1: best of two golds; 0.25: "the" normalises to nothing and is dropped, "display" scores 0.25.
    assert score.count == 6
    assert score.no_ans == pytest.approx(0.5)
    assert score.has_ans == pytest.approx((0 + 0 + 1 + 0.25) / 4)
    assert score.overall == pytest.approx((1 + 0 + 0 + 0 + 1 + 0.25) / 6)
    with pytest.raises(ValueError, match="same length"):
        sas_scores(_exact_or_quarter, [None], [], model="stand-in")


def test_answer_similarity_is_haystacks_sas_with_the_packaged_model(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, device="cpu")
    similarity = AnswerSimilarity(settings)
    predicted = ["ten hours", "bright display", "it broke after a week"]
    gold = ["10 hours", "the screen is bright", "battery life"]
    ours = similarity.pair_scores(predicted, gold)
    direct = SASEvaluator(model=str(packaged_minilm_dir())).run(ground_truth_answers=gold, predicted_answers=predicted)
    assert ours == pytest.approx(direct["individual_scores"], abs=1e-5)
    assert similarity.pair_scores(["battery life"], ["battery life"]) == pytest.approx([1.0], abs=1e-4)
    assert ours[1] > ours[2]  # a paraphrase beats an unrelated answer
    assert similarity.pair_scores([], []) == []
    golds = [("the screen is bright", "dim"), ()]
    score = sas_scores(similarity.pair_scores, ["bright display", None], golds, model="m")
    best = max(ours[1], similarity.pair_scores(["bright display"], ["dim"])[0])
    assert score.has_ans == pytest.approx(best, abs=1e-5) and score.no_ans == 1.0
