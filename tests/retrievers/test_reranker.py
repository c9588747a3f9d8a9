"""The cross-encoder reranker: its training pairs, a tiny real training run, the reranked retriever, the
settings and CLI around it, and answer decisions kept per reranker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.write import write_reviews
from qa.config import Settings
from qa.errors import DataError, ModelError
from qa.retrievers.reranker_training import RERANKER_INFO_FILE, RerankerTrainingConfig, reranker_pairs
from qa.types import GoldAnswer, Question, Review


def _question(text: str, item: str, review: Review, answers: tuple[GoldAnswer, ...] = ()) -> Question:
    return Question(
        question_id=f"{text}-{review.review_id}",
        question=text,
        item_id=item,
        review_id=review.review_id,
        review_text=review.text,
        domain="t",
        split="train",
        answers=answers,
    )


def test_pairs_label_answering_reviews_one_and_the_rest_zero() -> None:
    reviews = [
        Review(item_id="A", text="Battery lasts long. Great screen.", review_id="a1"),
        Review(item_id="A", text="The battery is weak, the battery died.", review_id="a2"),
        Review(item_id="A", text="Battery fine. Battery lasts long enough.", review_id="a3"),
        Review(item_id="A", text="Nice colours and a battery.", review_id="a4"),
        Review(item_id="B", text="Battery battery battery.", review_id="b1"),
        Review(item_id="A", text="Sound is loud.", review_id="a5"),
    ]
    question = "How is the battery?"
    questions = [
        _question(question, "A", reviews[0], (GoldAnswer("Battery lasts long", 0, 18),)),
        _question(question, "A", reviews[3]),  # same group, no answer in that review
        _question("Is the sound good?", "A", reviews[5]),  # a group without any answer
    ]
    columns = reranker_pairs(questions, reviews, negatives=3)
    pairs = {(q, r): label for q, r, label in zip(columns["question"], columns["review"], columns["label"])}
    assert pairs[(question, reviews[0].text)] == 1.0
    assert pairs[(question, reviews[3].text)] == 0.0  # the group's review without an answer
    assert pairs[(question, reviews[1].text)] == 0.0  # BM25 hard negative of the same product
    assert (question, reviews[2].text) not in pairs  # holds the gold answer: never a negative
    assert (question, reviews[4].text) not in pairs  # another product
    assert pairs[("Is the sound good?", reviews[5].text)] == 0.0
    assert [q for q in columns["question"] if q == "Is the sound good?"] == ["Is the sound good?"]  # no negatives
    assert sum(columns["label"]) == 1.0


def test_bad_training_settings_are_one_clear_error() -> None:
    for bad in ({"negatives": 0}, {"epochs": 0}, {"max_seq_length": -1}, {"max_steps": 0}):
        with pytest.raises(DataError):
            RerankerTrainingConfig(**bad)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def tiny_reranker_dir(tmp_path_factory: pytest.TempPathFactory, subjqa_dir: Path) -> Path:
    """A cross-encoder trained for 3 steps on 12 question groups: a real, loadable model."""
    from qa.retrievers.reranker_training import train_reranker

    data = tmp_path_factory.mktemp("reranker-data")
    out = data / "models" / "reranker"
    train_reranker(
        Settings(data_dir=data, device="cpu"),
        source_dir=subjqa_dir,
        out_dir=out,
        config=RerankerTrainingConfig(batch_size=8, max_examples=12, max_steps=3, max_seq_length=64),
        progress=False,
    )
    return out


def test_tiny_training_run_gives_a_ranker_that_haystack_loads(tiny_reranker_dir: Path) -> None:
    from haystack import Document

    from qa.retrievers.reranker import build_reranker

    info = json.loads((tiny_reranker_dir / RERANKER_INFO_FILE).read_text())
    assert info["kind"] == "reranker" and info["steps"] == 3 and 0 < info["positives"] < info["pairs"]
    ranker = build_reranker(Settings(reranker=str(tiny_reranker_dir), top_k_retriever=2, device="cpu"))
    ranker.warm_up()
    docs = [Document(content=t) for t in ("The battery lasts a day.", "Nice colours.", "Loud speakers.")]
    out = ranker.run(query="How is the battery?", documents=docs)["documents"]
    scores = [d.score for d in out]
    assert len(out) == 2 and scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)


def test_reranked_retriever_reorders_the_first_stage_candidates(
    tiny_reranker_dir: Path, review_slice: list[Review], tmp_path: Path
) -> None:
    from haystack import Pipeline

    from qa.pipelines.definitions import build_retriever
    from qa.retrievers.reranker import build_reranker
    from qa.stores.embedded import EmbeddedDocumentStore
    from qa.stores.filters import review_filters

    store = EmbeddedDocumentStore(tmp_path / "store")
    write_reviews(store, review_slice, progress=False)
    item = review_slice[0].item_id
    filters = review_filters(item, "test", "electronics")
    plain = Settings(device="cpu", top_k_retriever=2)
    reranked = plain.with_overrides(reranker=str(tiny_reranker_dir), rerank_candidates=5)

    def run(settings: Settings, top_k: int) -> list:
        pipeline = Pipeline()
        pipeline.add_component("retriever", build_retriever(store, settings))
        return pipeline.run({"retriever": {"query": "battery life", "filters": filters, "top_k": top_k}})["retriever"][
            "documents"
        ]

    candidates = run(plain, 5)
    ranker = build_reranker(reranked.with_overrides(top_k_retriever=5))
    ranker.warm_up()
    expected = ranker.run(query="battery life", documents=candidates)["documents"]
    got = run(reranked, 2)
    assert [d.id for d in got] == [d.id for d in expected[:2]]  # the ranker's order over BM25's 5 candidates
    assert {d.meta["item_id"] for d in got} == {item}  # the first stage's filters hold
    assert [d.score for d in got] == [d.score for d in expected[:2]]


def test_reranker_settings_and_environment() -> None:
    from qa.environment import read_environment

    assert Settings().retrieval.reranker == "none"
    assert read_environment({"REVIEWQA_RERANKER": "auto", "REVIEWQA_RERANK_CANDIDATES": "7"}) == {
        "reranker": "auto",
        "rerank_candidates": 7,
    }
    with pytest.raises(DataError):
        Settings(reranker=" ")
    with pytest.raises(DataError):
        Settings(rerank_candidates=0)


def test_missing_reranker_is_a_clear_error(tmp_path: Path, tiny_reader_dir: Path) -> None:
    from qa.retrievers.reranker import resolve_reranker
    from qa.stores.embedded import EmbeddedDocumentStore
    from tests.retrievers.test_cli_retrieval import run
    from tests.stores.contract import REVIEWS

    with pytest.raises(ModelError, match="train-reranker"):
        resolve_reranker(Settings(data_dir=tmp_path, reranker="auto"))
    with pytest.raises(ModelError, match="does not exist"):
        resolve_reranker(Settings(data_dir=tmp_path, reranker=str(tmp_path / "nowhere")))
    write_reviews(EmbeddedDocumentStore(tmp_path / "store"), REVIEWS, progress=False)
    args = ["ask", "Is the battery good?", "--item", REVIEWS[0].item_id, "--reader", str(tiny_reader_dir)]
    out = run([*args, "--reranker", "auto"], tmp_path)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1 and "train-reranker" in lines[0], out.stderr


def test_decisions_are_kept_per_reranker(tmp_path: Path) -> None:
    from qa.readers.decision import AnswerDecision
    from qa.readers.model_files import fitted_decision, read_reader_info
    from qa.readers.training import store_decision

    plain, reranked = AnswerDecision.from_boost(1.0), AnswerDecision.from_boost(-2.0)
    store_decision(tmp_path, "none", plain.to_dict(), {"cv_f1": 0.4})
    store_decision(tmp_path, "reranker#abc", reranked.to_dict(), {"cv_f1": 0.5})

    def kept(reranker: str) -> AnswerDecision | None:
        found = fitted_decision(read_reader_info(str(tmp_path))["extra"], reranker)
        return None if found is None else AnswerDecision.from_dict(found)

    assert kept("none") == plain
    assert kept("reranker#abc") == reranked
    assert kept("reranker#other") == plain  # never fitted with it: the plain decision
    store_decision(tmp_path, "reranker#abc", None, {"fitted": False})
    assert kept("reranker#abc") is None and kept("none") == plain  # the boost rule; the plain one untouched


def test_tune_reader_behind_a_reranker_fits_a_decision_of_its_own(
    tmp_path: Path, tiny_reader_dir: Path, tiny_reranker_dir: Path, subjqa_dir: Path
) -> None:
    import shutil

    from qa.readers.model_files import read_reader_info
    from qa.retrievers.reranker import reranker_identity
    from qa.training import fit_answer_decision

    reader = tmp_path / "reader"
    shutil.copytree(tiny_reader_dir, reader)
    before = read_reader_info(str(reader))["extra"].get("answer_decision")
    settings = Settings(data_dir=tmp_path, device="cpu", reranker=str(tiny_reranker_dir))
    report = fit_answer_decision(settings, reader, ["electronics"], subjqa_dir, progress=False, max_groups=30)
    identity = reranker_identity(settings)
    assert report["questions"] == 30 and identity != "none"
    extra = read_reader_info(str(reader))["extra"]
    stored = extra["answer_decisions"][identity]
    if report["fitted"]:
        assert report["reranker"] == identity and "bm25 -> reranker" in stored["decision"]["fitted_on"]
        if report["kept"] == "all signals":
            assert "retrieval_score" in stored["decision"]["features"]  # the reranker's probability is read
    assert extra.get("answer_decision") == before  # the plain decision is untouched


def test_auto_base_is_the_trained_reader_when_there_is_one(tmp_path: Path) -> None:
    from qa.config import PACKAGED_MINILM
    from qa.retrievers.reranker_training import reranker_base

    settings = Settings(data_dir=tmp_path)
    assert reranker_base("auto", settings) == PACKAGED_MINILM  # no reader yet
    settings.default_reader_dir.mkdir(parents=True)
    (settings.default_reader_dir / "config.json").write_text("{}")
    assert reranker_base("auto", settings) == str(settings.default_reader_dir)
    assert reranker_base("some/folder", settings) == "some/folder"
