"""The command a result file records: reviewqa's variables in effect, then the program, quoted."""

from __future__ import annotations

import shlex

import pytest

from eval.results import command_line
from qa.environment import recorded_variables


def test_the_variables_that_change_settings_are_recorded_and_secrets_are_not() -> None:
    environ = {
        "REVIEWQA_NO_ANSWER_BOOST": "-1000",
        "SUBJQA_DIR": "/data/subjqa",
        "REVIEWQA_API_KEY": "secret",
        "ES_URL": "https://user:password@es:9200",
        "HOME": "/root",
    }
    assert recorded_variables(environ) == {"SUBJQA_DIR": "/data/subjqa", "REVIEWQA_NO_ANSWER_BOOST": "-1000"}


@pytest.fixture
def no_variables(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process's environment without any variable reviewqa reads."""
    for name in recorded_variables():
        monkeypatch.delenv(name)
    return monkeypatch


def test_the_command_line_reproduces_the_run(no_variables: pytest.MonkeyPatch) -> None:
    monkeypatch = no_variables
    monkeypatch.setenv("REVIEWQA_NO_ANSWER_BOOST", "-1000")
    monkeypatch.setenv("REVIEWQA_API_KEY", "secret")
    command = command_line("reviewqa", ["eval", "reader", "--name", "two words"])
    assert command == "REVIEWQA_NO_ANSWER_BOOST=-1000 reviewqa eval reader --name 'two words'"
    assert shlex.split(command)[-1] == "two words" and "secret" not in command


@pytest.mark.usefixtures("no_variables")
def test_without_variables_it_is_the_program_and_its_arguments() -> None:
    assert command_line("python -m eval.bench", []) == "python -m eval.bench"
