"""The evaluation harness on real labels: retriever, reader, pipeline, tuning, reports, CLI."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

import pytest
from haystack import Document
from haystack.components.evaluators import (
    AnswerExactMatchEvaluator,
    DocumentMRREvaluator,
    DocumentRecallEvaluator,
)
from haystack.components.evaluators.document_recall import RecallMode

from eval.metrics import QAExample, squad_scores
from eval.reader import ReaderPrediction, tune_no_answer_boost
from eval.retriever import evaluate_retriever, group_questions
from qa.api import ReviewQA
from qa.config import Settings
from qa.readers.model_files import read_reader_info
from qa.stores.factory import open_labels
from qa.types import GoldAnswer, Question

REPO = Path(__file__).resolve().parents[2]


def _q(qid: str, answers: tuple[str, ...]) -> Question:
    return Question(qid, "q?", "I", "r", "text", "d", "dev", tuple(GoldAnswer(a, 0, len(a)) for a in answers))


def test_groups_match_the_books_counts(indexed_settings: Settings) -> None:
    groups = group_questions(open_labels(indexed_settings).read("electronics", "test"))
    assert len(groups) == 330 and sum(bool(g.answers) for g in groups) == 225


def test_retriever_metrics_agree_with_haystack_evaluators(indexed_settings: Settings) -> None:
    api = ReviewQA(indexed_settings)
    questions = open_labels(indexed_settings).read("electronics", "test")[:40]
    retrieved: dict[tuple[str, str], list] = {}

    def retrieve(question: str, item_id: str, split: str, top_k: int):
        retrieved[(question, item_id)] = api.retrieve(question, item_id=item_id, split=split, top_k=top_k)
        return retrieved[(question, item_id)]

    result = evaluate_retriever(retrieve, questions, ks=(1, 3), progress=False)
    own_text = {q.question_id: q.review_text for q in questions}
    truth = [[Document(content=own_text[q.question_id])] for q in questions]
    for k in (1, 3):
        got = [[Document(content=r.review.text) for r in retrieved[(q.question, q.item_id)][:k]] for q in questions]
        recall = DocumentRecallEvaluator(mode=RecallMode.SINGLE_HIT).run(truth, got)["score"]
        assert result.recall["own_review"][k] == pytest.approx(recall)
    got = [[Document(content=r.review.text) for r in retrieved[(q.question, q.item_id)]] for q in questions]
    assert result.mrr["own_review"] == pytest.approx(DocumentMRREvaluator().run(truth, got)["score"])
    assert all(
        a <= b
        for a, b in zip(
            result.recall["answer_in_document"].values(),
            list(result.recall["answer_in_document"].values())[1:],
            strict=False,
        )
    )


def test_exact_match_agrees_with_haystack_where_definitions_coincide() -> None:
    golds = ["ten hours", "the screen", "Battery"]
    predictions = ["ten hours", "screen", "battery"]  # raw equality vs SQuAD normalisation differ on 2 and 3
    haystack = AnswerExactMatchEvaluator().run(ground_truth_answers=golds, predicted_answers=predictions)
    ours = squad_scores([QAExample(str(i), p, (g,)) for i, (p, g) in enumerate(zip(predictions, golds, strict=True))])
    assert haystack["individual_scores"] == [1, 0, 0]
    assert ours.overall.em == pytest.approx(1.0)  # normalisation removes articles and case: documented difference
    same = AnswerExactMatchEvaluator().run(ground_truth_answers=golds[:1], predicted_answers=predictions[:1])
    assert squad_scores([QAExample("0", predictions[0], (golds[0],))]).overall.em == same["score"]


def test_no_answer_tuning_picks_the_f1_maximising_boost() -> None:
    questions = [_q("a", ("good",)), _q("b", ()), _q("c", ())]
    predictions = [
        ReaderPrediction("a", ("good",), "good", margin=5.0),  # right span: answer while boost < 5
        ReaderPrediction("b", ("bad",), "bad", margin=1.0),  # wrong span on a no-answer question
        ReaderPrediction("c", ("meh",), "meh", margin=2.0),
    ]
    boost, f1 = tune_no_answer_boost(questions, predictions)
    assert 2.0 < boost < 5.0 and f1 == pytest.approx(1.0)


def test_no_answer_prior_reweights_the_held_out_mix() -> None:
    questions = [_q("a", ("good",)), _q("b", ()), _q("c", ())]
    predictions = [
        ReaderPrediction("a", ("good",), "good", margin=1.0),
        ReaderPrediction("b", ("bad",), "bad", margin=2.0),
        ReaderPrediction("c", ("meh",), "meh", margin=2.0),
    ]
    # As held out (2 of 3 no-answer): abstaining everywhere is best, F1 2/3.
    boost, f1 = tune_no_answer_boost(questions, predictions)
    assert boost > 2.0 and f1 == pytest.approx(2 / 3)
    # Tuned for 20% no-answer: answering everywhere is best, weighted F1 0.8 (answerable weight 2.4 of 3).
    boost, f1 = tune_no_answer_boost(questions, predictions, no_answer_share=0.2)
    assert boost < 1.0 and f1 == pytest.approx(0.8)
    with pytest.raises(ValueError, match="strictly between"):
        tune_no_answer_boost(questions, predictions, no_answer_share=1.5)


def _cli(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REVIEWQA_DATA_DIR": str(settings.data_dir), "REVIEWQA_READER": settings.reader.model}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def test_eval_commands_write_results_and_report(qa_settings: Settings, tmp_path: Path) -> None:
    results = tmp_path / "results"
    for args in (
        ["eval", "retriever", "--limit", "30", "-q", "--name", "r"],
        ["eval", "reader", "--limit", "12", "-q", "--name", "a"],
        ["eval", "pipeline", "--limit", "6", "--top-k-retriever", "3", "-q", "--name", "p"],
    ):
        out = _cli([*args, "--results-dir", str(results)], qa_settings)
        assert out.returncode == 0, out.stderr
    retriever = json.loads((results / "r.json").read_text())
    # The variables _cli sets are part of the command that reproduces the run.
    words = shlex.split(retriever["command"])
    program = words.index("reviewqa")
    assert retriever["kind"] == "retriever" and words[program : program + 3] == ["reviewqa", "eval", "retriever"]
    assert {f"REVIEWQA_DATA_DIR={qa_settings.data_dir}", f"REVIEWQA_READER={qa_settings.reader.model}"} <= set(
        words[:program]
    )
    assert set(retriever["metrics"]["recall"]["answer_in_document"]) == {"1", "3", "5", "10", "20"}
    reader = json.loads((results / "a.json").read_text())
    assert reader["metrics"]["top1"]["overall"]["count"] == 12
    assert reader["metrics"]["top3"]["overall"]["f1"] >= reader["metrics"]["top1"]["overall"]["f1"]
    assert reader["metrics"]["sas"]["model"] == "packaged:all-MiniLM-L6-v2" and reader["metrics"]["sas"]["count"] == 12
    assert "semantic answer similarity" in (results / "a.md").read_text()
    pipeline = json.loads((results / "p.json").read_text())
    assert 0.0 <= pipeline["metrics"]["sas"]["overall"] <= 1.0
    # Both name the inference variant the numbers were read with (it changes the answers a little): the one
    # tune-reader chose by timing on this machine and recorded beside the reader (fp32 unless clearly faster).
    chosen = read_reader_info(qa_settings.reader.model)["extra"]["inference"]["precision"]
    assert reader["config"]["reader_precision"] == pipeline["config"]["reader_precision"] == chosen
    # ...and the sentence encoder by its configured name, never this machine's resolved folder.
    for config in (reader["config"], pipeline["config"]):
        assert config["similarity_model"] in (None, qa_settings.reader.similarity_model)
    assert (results / "r.png").stat().st_size > 1000 and (results / "a.md").is_file()
    report = _cli(["eval", "report", "--results-dir", str(results)], qa_settings)
    assert report.returncode == 0 and "| r | retriever |" in report.stdout and "| p | pipeline |" in report.stdout
    assert "SAS" in report.stdout
    assert (results / "report-recall.png").is_file() and (results / "report-f1.png").is_file()
