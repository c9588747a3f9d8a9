"""The scoring of `python -m eval.generative` (no generation here)."""

from __future__ import annotations

from eval.generative import GenerativePrediction, gold_recall, markdown_table, summarise
from qa.types import GoldAnswer, Question


def _question(qid: str, answers: tuple[str, ...]) -> Question:
    golds = tuple(GoldAnswer(a, 0, len(a)) for a in answers)
    return Question(qid, "q?", "item", "review", "text", "electronics", "test", answers=golds)


def _prediction(qid: str, prediction: str | None, golds: tuple[str, ...], f1: float) -> GenerativePrediction:
    return GenerativePrediction(
        qid,
        "gold",
        prediction or "I don't know.",
        prediction,
        golds,
        0.0,
        f1,
        gold_recall(prediction, golds),
        True,
        1.0,
    )


def test_gold_recall_is_the_share_of_gold_tokens_in_the_reply() -> None:
    assert gold_recall("The battery lasts 15 hours.", ("15 hours",)) == 1.0
    assert gold_recall("It lasts 15 minutes.", ("15 hours", "hours")) == 0.5
    assert gold_recall(None, ("15 hours",)) == 0.0


def test_summary_counts_answers_on_no_answer_questions() -> None:
    questions = [_question("a", ("15 hours",)), _question("b", ()), _question("c", ())]
    predictions = [
        _prediction("a", "The battery lasts 15 hours.", ("15 hours",), 0.57),
        _prediction("b", "It is great.", (), 0.0),
        _prediction("c", None, (), 1.0),
    ]
    metrics = summarise(questions, predictions)
    assert metrics["answered_when_gold_says_no_answer"] == 0.5
    assert metrics["abstained_when_answerable"] == 0.0
    assert metrics["gold_recall_has_ans"] == 1.0
    assert "| gold | 3 |" in markdown_table({"gold": metrics})
