"""Tests for eval.metrics: hand-computed SQuAD 2.0 and retrieval cases plus a Haystack cross-check."""

from __future__ import annotations

import os
import random

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

import pytest
from haystack import Document
from haystack.components.evaluators import (
    DocumentMAPEvaluator,
    DocumentMRREvaluator,
    DocumentRecallEvaluator,
)
from haystack.components.evaluators.document_recall import RecallMode

from eval.metrics import (
    QAExample,
    QAExampleTopK,
    QAScore,
    exact_match,
    f1_score,
    get_tokens,
    max_over_golds,
    mean_average_precision,
    mean_reciprocal_rank,
    normalize_answer,
    recall_at_k,
    squad_scores,
    top_k_scores,
)

approx = pytest.approx

# ----------------------------------------------------------------------------- SQuAD


def test_normalize_answer_punctuation_articles_whitespace_case() -> None:
    assert normalize_answer("The  Battery!") == "battery"
    assert normalize_answer("  An apple, a PEAR & the plum.  ") == "apple pear plum"
    # articles are removed only as whole words
    assert normalize_answer("Theater anthem") == "theater anthem"
    assert get_tokens("") == []
    assert get_tokens("The sound-quality") == ["soundquality"]


def test_exact_match_after_normalisation() -> None:
    assert exact_match("The  Battery!", "battery") == 1.0
    assert exact_match("battery life", "battery") == 0.0
    assert exact_match("", "") == 1.0


def test_f1_partial_overlap_by_hand() -> None:
    # pred tokens: [great, sound, quality] (3); gold "the sound quality is great" -> [sound, quality, is, great] (4)
    # common = 3 -> precision = 3/3 = 1, recall = 3/4, F1 = 2*1*0.75 / 1.75 = 6/7
    assert f1_score("great sound quality", "the sound quality is great") == approx(6 / 7)
    # pred [battery, life] vs gold [battery, lasts, long]: common 1 -> P = 1/2, R = 1/3,
    # F1 = 2 * (1/6) / (5/6) = 2/5
    assert f1_score("the battery life", "battery lasts long") == approx(0.4)
    assert f1_score("speaker", "sound quality") == 0.0


def test_f1_empty_sides() -> None:
    assert f1_score("", "") == 1.0
    assert f1_score("the", "") == 1.0  # normalises to nothing on both sides
    assert f1_score("", "battery") == 0.0
    assert f1_score("battery", "") == 0.0


def test_max_over_multiple_golds() -> None:
    golds = ("battery", "the sound quality is great", "sound quality")
    assert max_over_golds("Sound quality.", golds) == (1.0, 1.0)
    # "great sound" vs "sound": P=1/2, R=1 -> 2/3; vs "great sound quality": P=1, R=2/3 -> 0.8
    em, f1 = max_over_golds("great sound", ("sound", "great sound quality"))
    assert em == 0.0
    assert f1 == approx(0.8)


def test_no_answer_question() -> None:
    assert max_over_golds("", ()) == (1.0, 1.0)
    assert max_over_golds(None, ()) == (1.0, 1.0)
    assert max_over_golds("battery", ()) == (0.0, 0.0)
    # golds that normalise to nothing are dropped, as in the official script
    assert max_over_golds(None, ("the",)) == (1.0, 1.0)


def test_answerable_question_with_empty_prediction() -> None:
    assert max_over_golds("", ("battery",)) == (0.0, 0.0)
    assert max_over_golds(None, ("battery", "the battery")) == (0.0, 0.0)


def _examples() -> list[QAExample]:
    return [
        QAExample("q1", "battery", ("The battery",), "factual"),  # 1, 1
        # q2: 0, 6/7
        QAExample("q2", "great sound quality", ("the sound quality is great",), "subjective"),
        QAExample("q3", None, (), "subjective"),  # 1, 1
        QAExample("q4", "yes", (), "factual"),  # 0, 0
        QAExample("q5", "", ("battery",)),  # 0, 0
    ]


def test_squad_scores_overall_and_has_ans_no_ans() -> None:
    result = squad_scores(_examples())
    assert result.overall.count == 5
    assert result.overall.em == approx(2 / 5)
    assert result.overall.f1 == approx((1 + 6 / 7 + 1) / 5)  # = 4/7
    assert result.has_ans.count == 3
    assert result.has_ans.em == approx(1 / 3)
    assert result.has_ans.f1 == approx((1 + 6 / 7) / 3)  # = 13/21
    assert result.no_ans == QAScore(em=0.5, f1=0.5, count=2)


def test_squad_scores_by_group() -> None:
    by_group = squad_scores(_examples()).by_group
    assert set(by_group) == {"factual", "subjective"}
    assert by_group["factual"] == QAScore(em=0.5, f1=0.5, count=2)
    assert by_group["subjective"].count == 2
    assert by_group["subjective"].em == approx(0.5)
    assert by_group["subjective"].f1 == approx((6 / 7 + 1) / 2)


def test_squad_scores_empty() -> None:
    result = squad_scores([])
    zero = QAScore(em=0.0, f1=0.0, count=0)
    assert (result.overall, result.has_ans, result.no_ans, result.by_group) == (
        zero,
        zero,
        zero,
        {},
    )
    only_answerable = squad_scores([QAExample("q", "x", ("x",))])
    assert only_answerable.no_ans == zero


def test_top_k_takes_max_over_first_k() -> None:
    examples = [
        QAExampleTopK(
            "a",
            ("speaker", "great sound quality", "sound quality"),
            ("sound quality",),
            "subjective",
        ),
        QAExampleTopK("b", ("battery", None), (), "factual"),
        QAExampleTopK("c", (), ("battery",)),  # no predictions = "no answer"
    ]
    k1 = top_k_scores(examples, 1)
    assert (k1.overall.em, k1.overall.f1, k1.overall.count) == (0.0, 0.0, 3)
    # k=2: a -> "great sound quality" vs "sound quality": P=2/3, R=1, F1=0.8 (EM 0); b -> None is correct
    k2 = top_k_scores(examples, 2)
    assert k2.overall.em == approx(1 / 3)
    assert k2.overall.f1 == approx((0.8 + 1) / 3)
    assert k2.has_ans.f1 == approx(0.8 / 2)
    assert k2.no_ans == QAScore(em=1.0, f1=1.0, count=1)
    k3 = top_k_scores(examples, 3)
    assert k3.has_ans == QAScore(em=0.5, f1=0.5, count=2)
    assert k3.by_group["subjective"] == QAScore(em=1.0, f1=1.0, count=1)
    assert top_k_scores(examples, 10) == k3
    with pytest.raises(ValueError):
        top_k_scores(examples, 0)


def test_top_1_matches_squad_scores() -> None:
    single = _examples()
    ranked = [QAExampleTopK(e.question_id, (e.prediction, "noise"), e.golds, e.group) for e in single]
    assert top_k_scores(ranked, 1) == squad_scores(single)


# ------------------------------------------------------------------------- retrieval

RANKINGS = [
    [True, False, True, False],  # first hit at 1; AP numerator 1/1 + 2/3 = 5/3
    [True, False, False, False],  # first hit at 1; numerator 1
    [False, False, False, False],  # no hit
    [False, False, True],  # first hit at 3; numerator 1/3
]


def test_recall_at_k_single_hit() -> None:
    assert recall_at_k(RANKINGS, [1, 2, 3, 10]) == {1: 0.5, 2: 0.5, 3: 0.75, 10: 0.75}
    assert recall_at_k([], [1, 5]) == {1: 0.0, 5: 0.0}
    with pytest.raises(ValueError):
        recall_at_k(RANKINGS, [0])


def test_mean_reciprocal_rank() -> None:
    assert mean_reciprocal_rank(RANKINGS) == approx((1 + 1 + 0 + 1 / 3) / 4)  # 7/12
    assert mean_reciprocal_rank([[False, True]]) == 0.5
    assert mean_reciprocal_rank([]) == 0.0


def test_mean_average_precision_default_denominator_is_relevant_retrieved() -> None:
    # APs: (5/3)/2 = 5/6, 1/1 = 1, 0, (1/3)/1 = 1/3 -> mean 13/24
    assert mean_average_precision(RANKINGS) == approx((5 / 6 + 1 + 0 + 1 / 3) / 4)
    assert mean_average_precision([]) == 0.0
    assert mean_average_precision([[]]) == 0.0


def test_mean_average_precision_with_num_relevant() -> None:
    # APs: (5/3)/3 = 5/9, 1/1 = 1, 0/2 = 0, (1/3)/2 = 1/6 -> mean 31/72
    assert mean_average_precision(RANKINGS, [3, 1, 2, 2]) == approx(31 / 72)
    assert mean_average_precision([[False]], [0]) == 0.0
    with pytest.raises(ValueError):
        mean_average_precision(RANKINGS, [3, 1])
    with pytest.raises(ValueError):  # query 0 retrieved 2 relevant docs
        mean_average_precision(RANKINGS, [1, 1, 0, 1])


# ------------------------------------------------------------- cross-check with Haystack


def _random_queries(
    seed: int, retrieve_all_relevant: bool
) -> tuple[list[list[Document]], list[list[Document]], list[list[bool]]]:
    """Distinct, non-empty document contents per query, so both definitions coincide."""
    rng = random.Random(seed)
    ground_truth, retrieved, relevance = [], [], []
    for q in range(20):
        relevant = [f"q{q}-rel{i}" for i in range(rng.randint(1, 4))]
        irrelevant = [f"q{q}-irr{i}" for i in range(rng.randint(0, 6))]
        if retrieve_all_relevant:
            ranked = relevant + rng.sample(irrelevant, rng.randint(0, len(irrelevant)))
        else:
            pool = relevant + irrelevant
            ranked = rng.sample(pool, rng.randint(0, len(pool)))
        rng.shuffle(ranked)
        ground_truth.append([Document(content=c) for c in relevant])
        retrieved.append([Document(content=c) for c in ranked])
        relevance.append([c in relevant for c in ranked])
    return ground_truth, retrieved, relevance


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_haystack_evaluators(seed: int) -> None:
    gt, ret, rel = _random_queries(seed, retrieve_all_relevant=False)

    recall = DocumentRecallEvaluator(mode=RecallMode.SINGLE_HIT)
    for k in (1, 3, 5):
        expected = recall.run(ground_truth_documents=gt, retrieved_documents=[r[:k] for r in ret])["score"]
        assert recall_at_k(rel, [k])[k] == approx(expected)

    mrr = DocumentMRREvaluator().run(ground_truth_documents=gt, retrieved_documents=ret)["score"]
    assert mean_reciprocal_rank(rel) == approx(mrr)

    # Haystack divides AP by the number of distinct ground-truth documents.
    map_score = DocumentMAPEvaluator().run(ground_truth_documents=gt, retrieved_documents=ret)["score"]
    assert mean_average_precision(rel, [len(g) for g in gt]) == approx(map_score)


@pytest.mark.parametrize("seed", [3, 4])
def test_default_map_matches_haystack_when_all_relevant_retrieved(seed: int) -> None:
    gt, ret, rel = _random_queries(seed, retrieve_all_relevant=True)
    map_score = DocumentMAPEvaluator().run(ground_truth_documents=gt, retrieved_documents=ret)["score"]
    assert mean_average_precision(rel) == approx(map_score)
