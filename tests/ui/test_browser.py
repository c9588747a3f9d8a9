"""End to end in a real browser, as a shopper: choose a product, run a product-panel task, ask, and read
the headline answer, its evidence and the review consensus. Each is screenshotted (into the test's
temporary directory) and its text compared with what the facade returns for the same settings.

Needs Debian's chromium (`apt-get install -y chromium`) and the `playwright` Python package (its own
browser download, `playwright install`, is not used). Skipped with the reason when either is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.api import ReviewQA
from qa.config import Settings
from qa.types import display_text
from ui.app import CONSENSUS_REVIEWS

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "ui" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PRODUCT = "B0074BW614"
QUESTION = "Is it good for reading?"
#: The answer decision always answers (answer iff span - null logit > -1000): a headline is certain.
BOOST = "-1000"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is missing (apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not come up in {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def server(qa_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """The app as `reviewqa ui` starts it (script-level config included), and the settings it runs with."""
    data_dir = tmp_path / "data"
    shutil.copytree(qa_settings.data_dir, data_dir)  # feedback clicks stay out of the shared index
    port = _free_port()
    env = dict(
        os.environ,
        REVIEWQA_DATA_DIR=str(data_dir),
        REVIEWQA_READER=qa_settings.reader.model,
        REVIEWQA_DEVICE="cpu",
        REVIEWQA_NO_ANSWER_BOOST=BOOST,
        HAYSTACK_TELEMETRY_ENABLED="False",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--server.headless", "true"]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url, qa_settings.with_overrides(data_dir=data_dir, no_answer_boost=float(BOOST))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _words(text: str) -> str:
    """Text as the browser lays it out (runs of whitespace are one space)."""
    return " ".join(text.split())


def test_a_shopper_in_a_real_browser(server: tuple[str, Settings], tmp_path: Path) -> None:
    assert sync_playwright is not None
    url, settings = server
    facade = ReviewQA(settings)
    result = facade.ask(QUESTION, item_id=PRODUCT)
    consensus = facade.consensus(QUESTION, item_id=PRODUCT, max_reviews=CONSENSUS_REVIEWS)
    sentiment = facade.analyze(PRODUCT, "sentiment")
    assert result.headline is not None and result.headline.text
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(url, wait_until="domcontentloaded")
            product = page.locator('[data-testid="stSelectbox"]').first
            product.wait_for(timeout=90_000)
            assert page.get_by_text("Deploy").count() == 0  # the viewer toolbar (ui/.streamlit/config.toml)
            assert page.get_by_text("Data:").count() == 0 and page.get_by_text("Reader:").count() == 0
            product.click()
            page.keyboard.type(PRODUCT)
            page.keyboard.press("Enter")
            panel = page.get_by_text("About this product").first
            panel.wait_for(timeout=60_000)

            # The product panel: sentiment (the first task) over every review of the product.
            panel.click()
            page.get_by_role("button", name="Run", exact=True).click()
            output = page.locator(".rqa-panel-output").first
            output.wait_for(timeout=120_000)
            positive = f"{sentiment.counts.get('positive', 0)} of {len(sentiment.items)} reviews are positive"
            assert positive in _words(output.inner_text())
            output.screenshot(path=str(shots / "panel.png"))

            page.get_by_label("Question").fill(QUESTION)
            ask = page.get_by_role("button", name="Ask", exact=True)
            expect(ask).to_have_count(1, timeout=30_000)  # one form after the rerun that chose the product
            ask.click()

            # The headline: its text, the span highlighted in a snippet, the whole review behind a toggle.
            headline = page.locator(".rqa-headline").first
            headline.wait_for(timeout=180_000)  # the first question loads the reader
            shown = headline.locator(".rqa-answer-text").inner_text()
            assert _words(shown) == _words(display_text(result.headline.text))
            assert headline.locator(".rqa-snippet mark").inner_text().strip()
            if headline.locator("details.rqa-whole").count():
                headline.locator("details.rqa-whole summary").click()
                expect(headline.locator("details.rqa-whole .rqa-review")).to_be_visible()
            headline.scroll_into_view_if_needed()
            headline.screenshot(path=str(shots / "headline.png"))

            # The consensus: the same sentence the facade gives, and its first group.
            sentence = page.locator(".rqa-consensus-sentence").first
            sentence.wait_for(timeout=180_000)
            assert _words(sentence.inner_text()) == _words(consensus.sentence)
            assert consensus.groups and _words(consensus.groups[0].label) in _words(
                page.locator(".rqa-group-label").first.inner_text()
            )
            page.locator(".rqa-consensus").first.screenshot(path=str(shots / "consensus.png"))
            page.screenshot(path=str(shots / "page.png"), full_page=True)
        finally:
            browser.close()
    assert all((shots / name).stat().st_size > 1000 for name in ("panel.png", "headline.png", "consensus.png"))
