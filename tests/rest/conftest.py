"""A real `reviewqa serve` on a free loopback port, over a copy of the session's index and tiny reader."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from qa.config import Settings

#: The API key of the test server (REVIEWQA_API_KEY); the second server has none.
API_KEY = "test-key-0123456789abcdef"
#: A Kindle Fire HD in electronics (the README's example product).
KINDLE = "B0074BW614"
STARTUP_SECONDS = 180
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@dataclass
class Server:
    """A running server: its base URL, its settings (data dir) and what it logged."""

    url: str
    settings: Settings
    log: list[str]


@pytest.fixture(scope="session")
def rest_settings(qa_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's indexed data copied (imports and feedback from these tests stay here) + the tiny reader."""
    data_dir = tmp_path_factory.mktemp("rest") / "data"
    shutil.copytree(qa_settings.data_dir, data_dir)
    return qa_settings.with_overrides(data_dir=data_dir)


def wait_ready(url: str, deadline: float, alive: Callable[[], bool] | None = None) -> None:
    """Poll GET /health until it answers 200 (the store and the reader are loaded)."""
    last = ""
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"the server exited while starting ({last})")
        try:
            response = httpx.get(f"{url}/health", timeout=5)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.TransportError as error:
            last = repr(error)
        time.sleep(0.3)
    raise RuntimeError(f"the server did not become ready: {last}")


@pytest.fixture(scope="session")
def server(rest_settings: Settings) -> Iterator[Server]:
    """`python -m qa.cli serve --port 0` as a subprocess (the real command), ready to answer."""
    env = {
        **os.environ,
        "REVIEWQA_API_KEY": API_KEY,
        "REVIEWQA_DATA_DIR": str(rest_settings.data_dir),
        "REVIEWQA_READER": rest_settings.reader.model,
        "REVIEWQA_DEVICE": "cpu",
    }
    argv = [sys.executable, "-m", "qa.cli", "serve", "--port", "0", "--log-level", "info"]
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parents[2]
    )
    log: list[str] = []
    port: list[int] = []
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            log.append(line.rstrip())
            if not port and (match := _LISTENING.search(line)):
                port.append(int(match.group(1)))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while not port:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("reviewqa serve did not start:\n" + "\n".join(log))
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port[0]}"
        wait_ready(url, deadline, alive=lambda: process.poll() is None)
        yield Server(url=url, settings=rest_settings, log=log)
    finally:
        process.terminate()  # SIGTERM: uvicorn shuts down gracefully
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def thread_server(settings: Settings, *, ready: bool = True) -> Iterator[str]:
    """uvicorn serving `create_app(settings)` in a thread of this process on a free loopback port; its URL."""
    import uvicorn

    from qa.rest.app import create_app

    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the thread server did not start")
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        if ready:
            wait_ready(url, deadline)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture()
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client on the test server."""
    with httpx.Client(base_url=server.url, timeout=120) as http:
        yield http
