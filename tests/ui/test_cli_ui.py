"""`reviewqa ui` starts Streamlit on 127.0.0.1 with the data dir passed through the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ui


class Exec(Exception):
    pass


def test_ui_command_execs_streamlit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from qa.cli import app

    calls: list[tuple[str, list[str], dict[str, str]]] = []

    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        calls.append((path, argv, env))
        raise Exec

    monkeypatch.setattr(os, "execve", fake_execve)
    result = CliRunner().invoke(app, ["ui", "--data-dir", str(tmp_path), "--port", "8765", "--reader", str(tmp_path)])
    assert isinstance(result.exception, Exec), result.output
    path, argv, env = calls[0]
    app_py = Path(ui.__file__).parent / "app.py"
    assert app_py.is_file()
    assert path == sys.executable
    assert argv[:5] == [sys.executable, "-m", "streamlit", "run", str(app_py)]
    flags = dict(zip(argv[5::2], argv[6::2], strict=True))
    assert flags == {
        "--server.address": "127.0.0.1",
        "--browser.gatherUsageStats": "false",
        "--server.headless": "true",
        "--server.port": "8765",
    }
    assert env["REVIEWQA_DATA_DIR"] == str(tmp_path) and env["REVIEWQA_READER"] == str(tmp_path)
