"""Command groups other packages add to `reviewqa`, found through entry points (`reviewqa.commands`).

The evaluation harness (`eval/`) sits above `qa/` in the data flow, so the CLI in `qa/cli/` never
imports it: `eval` declares its Typer app in pyproject.toml (`[project.entry-points."reviewqa.commands"]`,
`eval = "eval.cli:eval_app"`) and is registered here by name when the command line starts.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

GROUP = "reviewqa.commands"


def register_plugin_commands(app: typer.Typer) -> None:
    """Add every installed `reviewqa.commands` entry point (a Typer app) to `app` under its name."""
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        sub_app = entry.load()
        if isinstance(sub_app, typer.Typer):
            app.add_typer(sub_app, name=entry.name)
