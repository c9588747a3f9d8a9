"""Over-long input in the web UI is answered with a message, never dropped silently (AppTest, no reader needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qa.config import Settings

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
PRODUCT = "B0074BW614"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, indexed_settings: Settings) -> AppTest:
    monkeypatch.setenv("REVIEWQA_DATA_DIR", str(indexed_settings.data_dir))
    monkeypatch.setenv("REVIEWQA_DEVICE", "cpu")
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_a_pasted_question_over_the_limit_gets_a_message(app: AppTest) -> None:
    app.selectbox(key="product").set_value(PRODUCT).run()
    assert app.text_input(key="question").max_chars in (None, 0)  # Streamlit would drop a longer paste silently
    assert "Up to 1,000 characters." in _texts(app.caption)
    app.text_input(key="question").input("Is it good? " * 125)
    app.button(key="ask_submit").click().run()
    assert not app.exception, app.exception
    assert "The question has 1499 characters; the limit is 1000." in _texts(app.error)


def test_asking_without_a_product_says_to_choose_one(app: AppTest) -> None:
    app.text_input(key="question").input("Is it good?")
    app.button(key="ask_submit").click().run()
    assert not app.exception, app.exception
    assert "Choose a product first" in _texts(app.error)
