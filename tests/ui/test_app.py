"""The Streamlit page logic (AppTest runs ui/app.py in-process) on the real index with the tiny reader."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import get_args

import pytest
from streamlit.testing.v1 import AppTest

import qa.nodes
from qa.config import RetrieverKind, Settings
from qa.pipelines.definitions import PIPELINES
from qa.stores.feedback import open_feedback

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
PRODUCT = "B0074BW614"
QUESTION = "Is it good for reading?"
TIMEOUT = 180  # the first question of a session loads the reader


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


def _ask(at: AppTest, question: str, product: str = PRODUCT) -> AppTest:
    at.text_input(key="product_query").input(product).run()
    at.text_input(key="question").input(question)
    at.button(key="ask_submit").click().run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_a_real_answer_is_highlighted_in_its_review_and_feedback_is_kept(env, data_dir: Path) -> None:
    at = _app()
    assert list(at.sidebar.selectbox(key="retriever").options) == list(get_args(RetrieverKind))
    modes = at.sidebar.radio(key="mode")
    assert modes.value == "extractive" and 1 <= len(modes.options) <= len(PIPELINES)  # only modes that exist

    at = _ask(at, QUESTION)
    assert not at.error, _texts(at.error)
    assert f"Product {PRODUCT}:" in _texts(at.success) and "reviews" in _texts(at.success)
    cards = [h.value for h in at.html if 'class="rqa-answer"' in h.value]
    assert cards, "no answer card"
    assert '<mark class="rqa-span"' in cards[0] and "</mark>" in cards[0]
    marked = cards[0].split("</mark>")[0].rsplit(">", 1)[1]
    assert marked.strip()  # a non-empty span is highlighted

    # Mark the first span answer right: written durably, readable by a new store, on the Feedback page.
    store = open_feedback(Settings(data_dir=data_dir))
    before = len(store.read_all())
    answers = at.session_state["last"].result.answers
    rank, answer = next((r, a) for r, a in enumerate(answers, start=1) if not a.is_no_answer)
    at.button(key=f"fb-right-1-{rank}").click().run()
    assert f"Saved: you marked answer {rank} right" in _texts(at.caption)
    records = open_feedback(Settings(data_dir=data_dir)).read_all()  # a new store instance
    assert len(records) == before + 1
    assert (records[-1].question, records[-1].item_id, records[-1].rank) == (QUESTION, PRODUCT, rank)
    assert records[-1].answer == answer.text and records[-1].correct

    fresh = _app()  # a new session: as after a restart
    fresh.sidebar.radio(key="page").set_value("Feedback").run()
    assert not fresh.exception
    assert fresh.metric[0].value == str(before + 1)
    assert len(fresh.get("download_button")) == 2


def test_no_answer_is_said_honestly(env) -> None:
    env.setenv("REVIEWQA_NO_ANSWER_BOOST", "1000")
    at = _ask(_app(), QUESTION)
    assert not at.error, _texts(at.error)
    assert "The reviews don't say" in _texts(at.warning)


@pytest.mark.parametrize(
    ("product", "question", "message"),
    [
        (PRODUCT, "   ", "The question is empty."),
        ("B0074BW61X", QUESTION, "No reviews of product 'B0074BW61X'. Did you mean B0074BW614"),
    ],
)
def test_bad_input_is_a_clear_error(env, product: str, question: str, message: str) -> None:
    at = _ask(_app(), question, product)
    assert message in _texts(at.error)


def test_no_index_yet(env, tmp_path: Path) -> None:
    env.setenv("REVIEWQA_DATA_DIR", str(tmp_path / "empty"))
    at = _app()
    assert "is empty" in _texts(at.error) and "reviewqa index" in _texts(at.error)


def test_no_reader_model_yet(env) -> None:
    env.delenv("REVIEWQA_READER")
    at = _ask(_app(), QUESTION)
    assert "No reader model yet" in _texts(at.error)


def test_pipeline_page_draws_the_active_pipeline(env) -> None:
    at = _app()
    at.sidebar.radio(key="page").set_value("Pipeline").run()
    assert not at.exception and not at.error, _texts(at.error)
    charts = at.get("graphviz_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert "retriever" in spec and "reader" in spec and "pipeline_input" in spec


def test_evaluation_page(env, tmp_path: Path) -> None:
    at = _app()
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.figure(figsize=(1, 1))
    plt.plot([0, 1], [0, 1])
    plt.savefig(empty / "recall.png")
    plt.close("all")
    at.run()
    assert not at.exception
    assert "broken.json" in _texts(at.warning)
    assert len(at.dataframe) >= 3  # summary, scalar metrics, recall matrix (+ mrr)
    assert len(at.image) == 1


def test_product_panel_only_when_tasks_exist(env) -> None:
    env.delattr(qa.nodes, "PRODUCT_TASKS", raising=False)
    at = _app()
    at.text_input(key="product_query").input(PRODUCT).run()
    assert not [e for e in at.expander if "Product panel" in e.label]

    env.setattr(
        qa.nodes,
        "PRODUCT_TASKS",
        {"Review count": lambda api, item: f"{api.count(item_id=item)} reviews"},
        raising=False,
    )
    at.run()
    assert [e for e in at.expander if "Product panel" in e.label]
    at.button(key="task_run").click().run()
    assert not at.exception
    assert any(m.value.endswith(" reviews") for m in at.markdown)
