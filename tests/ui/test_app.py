"""The Streamlit page logic (AppTest runs ui/app.py in-process) on the real index with the tiny reader.

What the page shows is compared with what the facade returns for the same settings: the headline,
the consensus sentence, the product panel's output.
"""

from __future__ import annotations

import json
import shutil
from html import escape
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import qa.nodes
from qa.api import ReviewQA
from qa.config import Settings
from qa.stores.feedback import open_feedback
from qa.types import display_text
from ui.app import CONSENSUS_REVIEWS

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
PRODUCT = "B0074BW614"
QUESTION = "Is it good for reading?"
TIMEOUT = 240  # the first question of a session loads the reader and the consensus models


@pytest.fixture(scope="module")
def data_dir(qa_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the indexed data dir, so that feedback written here stays out of the shared one."""
    target = tmp_path_factory.mktemp("ui") / "data"
    shutil.copytree(qa_settings.data_dir, target)
    return target


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, qa_settings: Settings, data_dir: Path) -> pytest.MonkeyPatch:
    monkeypatch.setenv("REVIEWQA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("REVIEWQA_READER", qa_settings.reader.model)
    monkeypatch.setenv("REVIEWQA_DEVICE", "cpu")
    monkeypatch.delenv("REVIEWQA_NO_ANSWER_BOOST", raising=False)
    return monkeypatch


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    return at


def _ask(at: AppTest, question: str, product: str = PRODUCT, consensus: bool = True) -> AppTest:
    at.selectbox(key="product").set_value(product).run()
    at.text_input(key="question").input(question)
    if not at.checkbox(key="consensus").disabled:  # it is, in modes without a reader
        at.checkbox(key="consensus").set_value(consensus)
    at.button(key="ask_submit").click().run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _html(at: AppTest, css_class: str) -> list[str]:
    return [h.value for h in at.html if f'class="{css_class}' in h.value]


def test_one_headline_answer_then_other_reviews_then_the_consensus(env, data_dir: Path) -> None:
    env.setenv("REVIEWQA_NO_ANSWER_BOOST", "-1000")  # the decision always answers: a headline is certain
    at = _app()
    assert not at.sidebar.radio  # a shopper sees no pages, sliders or paths
    assert not [c for c in at.sidebar.caption if "Data:" in c.value]
    products = at.selectbox(key="product")
    expected = ReviewQA(Settings.from_env())
    assert len(products.options) == len(expected.products())  # every product, not the first 200
    assert any(o.startswith(f"{PRODUCT} · kindle") for o in products.options)

    at = _ask(at, QUESTION)
    assert not at.error, _texts(at.error)
    result = expected.ask(QUESTION, item_id=PRODUCT)
    assert result.headline is not None
    [headline] = _html(at, "rqa-answer rqa-headline")
    assert f">{escape(display_text(result.headline.text or ''))}</div>" in headline
    assert '<mark class="rqa-span"' in headline and "Show the whole review" in headline
    assert (result.confidence.words if result.confidence else "").capitalize() in headline
    assert "score" not in headline  # scores are for developers
    others = _html(at, 'rqa-answer"')
    assert len(others) == len(result.others) and len(others) + 1 <= 3  # top-k 3 answers read, no "no answer" card
    if others:
        assert "Other reviews say…" in _texts(at.markdown)
    consensus = expected.consensus(QUESTION, item_id=PRODUCT, max_reviews=CONSENSUS_REVIEWS)
    [shown] = _html(at, "rqa-consensus")
    assert escape(consensus.sentence) in shown and consensus.groups  # every span answers under this boost
    assert escape(consensus.groups[0].label) in shown

    store = open_feedback(Settings(data_dir=data_dir))
    before = len(store.read_all())
    at.button(key="fb-right-1-1").click().run()
    assert "Saved: you marked answer 1 right" in _texts(at.caption)
    records = open_feedback(Settings(data_dir=data_dir)).read_all()
    assert len(records) == before + 1 and records[-1].answer == result.headline.text and records[-1].rank == 1


def test_not_mentioned_only_when_the_decision_says_so(env) -> None:
    env.setenv("REVIEWQA_NO_ANSWER_BOOST", "1000")  # the decision never answers
    at = _ask(_app(), QUESTION)
    assert not at.error, _texts(at.error)
    assert "Not mentioned." in _texts(at.warning)
    assert not _html(at, "rqa-answer rqa-headline")
    assert "None of the reviews read" in _html(at, "rqa-consensus")[0]


def test_an_example_question_is_asked_and_a_settings_change_is_flagged(env) -> None:
    at = _app()
    at.sidebar.toggle(key="developer").set_value(True).run()
    at.selectbox(key="product").set_value(PRODUCT).run()
    examples = ReviewQA(Settings.from_env()).example_questions(PRODUCT, limit=4)
    assert [b.label for b in at.button if b.key and b.key.startswith("example-")] == examples
    at.checkbox(key="consensus").set_value(False).run()
    at.button(key="example-0").click().run()
    assert not at.exception, at.exception
    assert at.session_state["last"].question == examples[0]
    assert at.session_state["last"].result is not None
    assert not [i for i in at.info if "changed since this answer" in i.value]
    at.sidebar.slider(key="top_k_retriever").set_value(5).run()
    assert [i for i in at.info if "changed since this answer" in i.value]


def test_developer_mode_shows_settings_and_pages(env) -> None:
    at = _app()
    at.sidebar.toggle(key="developer").set_value(True).run()
    assert list(at.sidebar.radio(key="page").options) == ["Ask", "Evaluation", "Pipeline", "Feedback"]
    assert "dpr" not in at.sidebar.selectbox(key="retriever").options  # no DPR encoders trained here
    assert "Not offered: dpr (retriever)" in _texts(at.sidebar.caption)
    assert "(1–20)" in at.sidebar.slider(key="top_k_retriever").label
    at.sidebar.radio(key="page").set_value("Pipeline").run()
    assert not at.exception and not at.error, _texts(at.error)
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "retriever" in spec and "reader" in spec and "pipeline_input" in spec


def test_evaluation_page_labels_its_tables(env, tmp_path: Path) -> None:
    at = _app()
    at.sidebar.toggle(key="developer").set_value(True).run()
    at.sidebar.radio(key="page").set_value("Evaluation").run()
    empty = tmp_path / "results"
    empty.mkdir()
    at.text_input(key="results_dir").input(str(empty)).run()
    assert "No evaluation results" in _texts(at.info)
    (empty / "retriever-bm25.json").write_text(
        json.dumps(
            {
                "name": "retriever-bm25",
                "kind": "retriever",
                "command": "reviewqa eval retriever",
                "created": "2026-01-01T00:00:00+00:00",
                "config": {"retriever": "bm25"},
                "metrics": {"queries": 10, "recall": {"product": {"1": 0.5, "3": 0.8}}, "mrr": {"product": 0.6}},
            }
        )
    )
    (empty / "broken.json").write_text("{not json")
    at.run()
    assert not at.exception
    assert "broken.json" in _texts(at.warning)
    assert len(at.dataframe) >= 3  # summary, scalar metrics, recall matrix (+ mrr)
    assert "Recall@k" in _texts(at.caption) and "Mean reciprocal rank" in _texts(at.caption)
    assert "result" in at.dataframe[0].value.columns


def test_the_product_panel_runs_the_registered_tasks(env) -> None:
    at = _app()
    at.selectbox(key="product").set_value(PRODUCT).run()
    assert list(at.radio(key="task_name").options) == list(qa.nodes.PRODUCT_TASKS)  # every task can run here
    at.radio(key="task_name").set_value("Sentiment").run()
    at.button(key="task_run").click().run()
    assert not at.exception, at.exception
    report = ReviewQA(Settings.from_env()).analyze(PRODUCT, "sentiment")
    [output] = _html(at, "rqa-panel-output")
    assert f"{report.counts.get('positive', 0)} of {len(report.items)} reviews are positive" in output

    blocked = qa.nodes.ProductTask("summary", "A summary.", lambda settings: "needs a model that is not here")
    env.setattr(qa.nodes, "PRODUCT_TASKS", {**qa.nodes.PRODUCT_TASKS, "Blocked": blocked})
    at.run()
    [button] = [b for b in at.button if b.key == "task-off-Blocked"]
    assert button.disabled and "Blocked cannot run here: needs a model that is not here" in _texts(at.caption)
    assert "Blocked" not in at.radio(key="task_name").options


def test_no_index_yet(env, tmp_path: Path) -> None:
    env.setenv("REVIEWQA_DATA_DIR", str(tmp_path / "empty"))
    at = _app()
    assert "is empty" in _texts(at.error) and "reviewqa index" in _texts(at.error)


def test_no_reader_model_yet(env) -> None:
    env.delenv("REVIEWQA_READER")
    at = _ask(_app(), QUESTION, consensus=False)
    assert "No reader model yet" in _texts(at.warning)  # said once, and the best-matching reviews are shown
    assert not at.error and [h for h in at.html if "rqa-retrieved" in h.value]
