"""The answer decision (qa.readers.decision) on hand-built logits: pure, no model."""

from __future__ import annotations

import random

import pytest

from qa.readers.decision import (
    FEATURE_NAMES,
    SIMILARITY_FEATURES,
    AnswerDecision,
    DecisionSignals,
    decide,
    decision_features,
    expected_calibration_error,
    fit_decision,
    reads_similarity,
)


def test_boost_rule_is_the_single_cls_threshold() -> None:
    decision = AnswerDecision.from_boost(1.0)
    assert decide(DecisionSignals(span_logit=5.0, null_logit=3.9), decision).answer  # gap 1.1 > 1.0
    assert not decide(DecisionSignals(span_logit=5.0, null_logit=4.1), decision).answer  # gap 0.9
    verdict = decide(DecisionSignals(span_logit=9.0, null_logit=0.0), decision)
    assert verdict.answer and verdict.probability > 0.99 and verdict.words == "likely"
    assert decide(DecisionSignals(span_logit=1.2, null_logit=0.0), decision).words == "possibly"


def test_no_span_never_answers() -> None:
    verdict = decide(DecisionSignals(span_logit=None, null_logit=-50.0), AnswerDecision.from_boost(-100.0))
    assert not verdict.answer and verdict.probability == 0.0 and verdict.words == "not mentioned"


def test_parameters_round_trip_and_are_validated() -> None:
    decision = AnswerDecision(
        coefficients=(1.0, -0.5), intercept=0.2, features=("gap", "rank"), mean=(0.0, 0.0), scale=(2.0, 1.0)
    )
    assert AnswerDecision.from_dict(decision.to_dict()) == decision
    with pytest.raises(ValueError, match="one coefficient"):
        AnswerDecision(coefficients=(1.0,), intercept=0.0, features=("gap", "rank"), mean=(0.0,), scale=(1.0,))
    with pytest.raises(ValueError, match="Unknown decision features"):
        AnswerDecision(coefficients=(1.0,), intercept=0.0, features=("colour",))
    with pytest.raises(ValueError, match="threshold"):
        AnswerDecision(coefficients=(1.0,), intercept=0.0, threshold=1.0)


def test_a_later_rank_lowers_the_probability_when_its_weight_is_negative() -> None:
    decision = AnswerDecision(
        coefficients=(1.0, -1.0), intercept=0.0, features=("gap", "rank"), mean=(0.0, 0.0), scale=(1.0, 1.0)
    )
    first = decide(DecisionSignals(span_logit=2.0, null_logit=1.0, rank=0), decision)
    third = decide(DecisionSignals(span_logit=2.0, null_logit=1.0, rank=2), decision)
    assert first.answer and not third.answer and first.probability > third.probability


def _synthetic(n: int, seed: int) -> tuple[list[DecisionSignals], list[float], list[float], list[str]]:
    """Answerable questions have a larger gap, and spans from the top review are right more often."""
    rng = random.Random(seed)
    signals, span_f1, null_f1, groups = [], [], [], []
    for i in range(n):
        answerable = rng.random() < 0.5
        rank = rng.randrange(3)
        null = rng.gauss(0.0, 1.0)
        gap = rng.gauss(2.0 if answerable else -1.0, 1.0) - 0.8 * rank
        signals.append(DecisionSignals(span_logit=null + gap, null_logit=null, span_words=3, rank=rank, reviews=3))
        span_f1.append(rng.choice((0.6, 1.0)) if answerable else 0.0)
        null_f1.append(0.0 if answerable else 1.0)
        groups.append(f"product-{i % 40}")
    return signals, span_f1, null_f1, groups


def test_fit_beats_always_and_never_answering_out_of_fold() -> None:
    signals, span_f1, null_f1, groups = _synthetic(400, seed=1)
    fit = fit_decision(signals, span_f1, null_f1, groups, folds=4)
    report = fit.report
    assert report["cv_f1"] > max(report["f1_always_answer"], report["f1_never_answer"]) + 0.1
    assert 0.0 <= report["cv_ece"] < 0.15
    # The fitted gap weight is positive, and it generalises to fresh data from the same process.
    assert fit.decision.coefficients[fit.decision.features.index("gap")] > 0
    test_signals, test_span, test_null, _ = _synthetic(400, seed=2)
    chosen = [
        s if decide(x, fit.decision).answer else n for x, s, n in zip(test_signals, test_span, test_null, strict=True)
    ]
    assert sum(chosen) / len(chosen) > max(sum(test_span), sum(test_null)) / len(chosen) + 0.1


def test_expected_calibration_error_of_a_calibrated_and_a_wrong_model() -> None:
    ece, table = expected_calibration_error([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0], [1, 1, 1, 1])
    assert ece == pytest.approx(0.0) and table[0]["observed"] == pytest.approx(0.25)
    ece, _ = expected_calibration_error([0.95, 0.95], [0, 0], [1, 1])
    assert ece == pytest.approx(0.95)


def test_similarity_signals_are_read_only_when_every_question_has_them() -> None:
    full = DecisionSignals(
        span_logit=2.0, null_logit=1.0, span_similarity=0.6, sentence_similarity=0.5, review_similarity=0.4
    )
    values = dict(zip(FEATURE_NAMES, full.vector(), strict=True))
    assert (values["span_similarity"], values["sentence_similarity"], values["review_similarity"]) == (0.6, 0.5, 0.4)
    assert set(SIMILARITY_FEATURES) <= set(decision_features([full, full], reranked=False))
    without = DecisionSignals(span_logit=2.0, null_logit=1.0)  # a reader without the sentence encoder
    assert not set(SIMILARITY_FEATURES) & set(decision_features([full, without], reranked=False))
    reading = AnswerDecision(
        coefficients=(1.0, 2.0),
        intercept=0.0,
        features=("gap", "span_similarity"),
        mean=(0.0, 0.5),
        scale=(1.0, 0.1),
    )
    assert reads_similarity(reading) and not reads_similarity(AnswerDecision.from_boost(0.0))
    assert not reads_similarity(None)
    # A span about the question (cosine above the mean) is answered, the same logits off-topic are not.
    on_topic = DecisionSignals(span_logit=1.0, null_logit=1.0, span_similarity=0.7)
    off_topic = DecisionSignals(span_logit=1.0, null_logit=1.0, span_similarity=0.3)
    assert decide(on_topic, reading).answer and not decide(off_topic, reading).answer
