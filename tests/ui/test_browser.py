"""End to end in a real browser: start the app, pick a product, ask, see the highlighted answer.

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

from qa.config import Settings

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "ui" / "app.py"
ARTIFACTS = REPO / "tests" / "artifacts"
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
def server(qa_settings: Settings, tmp_path: Path) -> Iterator[str]:
    data_dir = tmp_path / "data"
    shutil.copytree(qa_settings.data_dir, data_dir)  # feedback clicks stay out of the shared index
    port = _free_port()
    env = dict(
        os.environ,
        REVIEWQA_DATA_DIR=str(data_dir),
        REVIEWQA_READER=qa_settings.reader.model,
        REVIEWQA_DEVICE="cpu",
        HAYSTACK_TELEMETRY_ENABLED="False",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    env.pop("REVIEWQA_NO_ANSWER_BOOST", None)
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_ask_in_a_real_browser(server: str) -> None:
    assert sync_playwright is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if not (ARTIFACTS / ".gitignore").exists():
        (ARTIFACTS / ".gitignore").write_text("# screenshots written by tests/ui/test_browser.py\n*\n")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(server, wait_until="domcontentloaded")
            product = page.get_by_label("Product id")
            product.wait_for(timeout=60_000)
            product.fill(PRODUCT)
            product.press("Enter")
            expect(page.get_by_text(f"Product {PRODUCT}:").first).to_be_visible(timeout=30_000)

            question = page.get_by_label("Question")
            question.fill(QUESTION)
            ask = page.get_by_role("button", name="Ask")
            # While Streamlit reruns after the product was entered, the old and the new form can both
            # be in the page for a moment (seen on a loaded machine): wait until one button is left.
            expect(ask).to_have_count(1, timeout=30_000)
            ask.click()

            mark = page.locator(".rqa-answer mark").first
            mark.wait_for(timeout=120_000)  # the first question loads the reader
            assert mark.inner_text().strip()
            answer = page.locator(".rqa-answer-text").first
            assert answer.inner_text().strip()
            # Streamlit scrolls inside its main container: bring the first answer card into the viewport.
            page.locator(".rqa-answer").first.scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # let the layout settle
            page.screenshot(path=str(ARTIFACTS / "ui-answer.png"))
        finally:
            browser.close()
