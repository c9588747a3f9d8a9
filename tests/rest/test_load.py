"""The load test script (eval/load_test.py) against the test server, with tiny numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.load_test import check_loopback, main, percentile
from qa.errors import DataError
from tests.rest.conftest import Server


def test_load_test_runs_without_errors(server: Server, tmp_path: Path) -> None:
    metrics = main(
        ["--url", server.url, "--clients", "2", "--questions", "3", "--data-dir", str(server.settings.data_dir),
         "--results-dir", str(tmp_path), "--name", "load-tiny"]
    )  # fmt: skip
    assert metrics["requests"] == 6 and metrics["errors"] == 0 and metrics["ok"] == 6
    latency = metrics["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["max"]
    stored = json.loads((tmp_path / "load-tiny.json").read_text())
    assert stored["kind"] == "load-test" and stored["metrics"]["errors"] == 0
    assert "| 2 x 3 | 6 | 0 |" in (tmp_path / "load-tiny.md").read_text()


def test_load_test_only_targets_loopback() -> None:
    assert check_loopback("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert check_loopback("http://[::1]:8000") == "http://[::1]:8000"
    assert check_loopback("http://localhost:9") == "http://localhost:9"
    for url in ("http://10.0.0.5:8000", "http://example.org", "ftp://127.0.0.1", "127.0.0.1:8000"):
        with pytest.raises(DataError):
            check_loopback(url)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95 and percentile([3.0], 95) == 3.0
