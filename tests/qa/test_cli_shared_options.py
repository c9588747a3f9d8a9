"""The shared options are declared once (the root callback) and may be typed before or after the command."""

from __future__ import annotations

import typer

from qa.cli import app
from qa.cli.errors import hoist_shared_options


def _group_and_context() -> tuple[typer.core.TyperGroup, typer.Context]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return group, typer.Context(group)


def test_shared_options_after_the_command_move_in_front() -> None:
    group, ctx = _group_and_context()
    args = ["ask", "Is it good?", "--item", "X", "--data-dir", "/d", "-q", "--device=cpu", "--top-k-reader", "2"]
    assert hoist_shared_options(group, ctx, args) == [
        "--data-dir", "/d", "-q", "--device=cpu", "ask", "Is it good?", "--item", "X", "--top-k-reader", "2",
    ]  # fmt: skip


def test_nested_commands_and_the_end_of_options_marker() -> None:
    group, ctx = _group_and_context()
    assert hoist_shared_options(group, ctx, ["eval", "reader", "--reader", "/m", "--limit", "3"]) == [
        "--reader", "/m", "eval", "reader", "--limit", "3",
    ]  # fmt: skip
    assert hoist_shared_options(group, ctx, ["ask", "--", "--reader"]) == ["ask", "--", "--reader"]


def test_pass_through_commands_keep_their_own_options() -> None:
    group, ctx = _group_and_context()
    args = ["eval", "readers", "--reader", "a=/m", "--device", "cpu"]
    assert hoist_shared_options(group, ctx, args) == args


def test_no_command_repeats_a_shared_option() -> None:
    shared = {p.name for p in typer.main.get_command(app).params}
    group, _ = _group_and_context()
    stack = [group]
    while stack:
        command = stack.pop()
        if isinstance(command, typer.core.TyperGroup):
            stack.extend(command.commands.values())
        elif command.name not in ("readers", "retrievers"):
            repeated = shared & {p.name for p in command.params}
            assert not repeated, f"{command.name} declares shared options again: {repeated}"
