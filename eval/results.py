"""Result files: `eval/results/<name>.json` (config, model, data, metrics, timings) and a Markdown summary."""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

from qa.environment import recorded_variables
from qa.stores.atomic import write_atomic

DEFAULT_RESULTS_DIR = Path("eval/results")


class ScriptParser(argparse.ArgumentParser):
    """argparse for the eval scripts, with the project's promise for usage mistakes.

    argparse prints its usage block and exits 2; every reviewqa command instead prints one
    `Error:` line that says what to do and exits 1 (also when run as `reviewqa eval readers|retrievers`).
    """

    def error(self, message: str) -> NoReturn:
        """Print one `Error:` line naming the help command and exit 1."""
        self.exit(1, f"Error: {message}. See `{self.prog} --help`.\n")


def run_script(main: Callable[[], object]) -> NoReturn:
    """Run an eval script's `main` as `python -m eval.<name>` does: a ReviewQAError (a user mistake)
    becomes one `Error:` line and exit 1; an int `main` returns is the exit code, anything else 0."""
    from qa.errors import ReviewQAError

    try:
        result = main()
    except ReviewQAError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def script_parser(module: str, doc: str | None) -> ScriptParser:
    """The parser of `python -m <module>`, described by the first line of its docstring `doc`."""
    return ScriptParser(prog=f"python -m {module}", description=(doc or "").strip().split("\n")[0] or None)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def command_line(program: str, argv: Sequence[str] | None = None) -> str:
    """The command that reproduces this run, for its result file: reviewqa's variables, then the program.

    :param program: how the run was started, e.g. "reviewqa" or "python -m eval.bench".
    :param argv: its arguments (default: this process's `sys.argv[1:]`), shell-quoted in the record.
    :returns: e.g. `REVIEWQA_NO_ANSWER_BOOST=-1000 reviewqa eval reader --name x`.
    """
    arguments = sys.argv[1:] if argv is None else argv
    variables = [f"{name}={shlex.quote(value)}" for name, value in recorded_variables().items()]
    return " ".join([*variables, program, *(shlex.quote(a) for a in arguments)])


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def write_result(
    name: str,
    *,
    kind: str,
    command: str,
    config: dict[str, Any],
    metrics: Any,
    markdown: str,
    results_dir: Path = DEFAULT_RESULTS_DIR,
) -> Path:
    """Write `<name>.json` and `<name>.md`; returns the JSON path."""
    payload = {
        "name": name,
        "kind": kind,
        "command": command,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "config": _plain(config),
        "metrics": _plain(metrics),
    }
    path = results_dir / f"{name}.json"
    write_atomic(path, json.dumps(payload, indent=2) + "\n")
    write_atomic(results_dir / f"{name}.md", f"# {name}\n\n`{command}`\n\n{markdown}\n")
    return path


def load_results(results_dir: Path = DEFAULT_RESULTS_DIR) -> list[dict[str, Any]]:
    """Every result JSON in `results_dir`, oldest first."""
    if not results_dir.is_dir():
        return []
    results = []
    for path in sorted(results_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "kind" in data and "metrics" in data:
            results.append(data)
    return sorted(results, key=lambda r: r.get("created", ""))


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def add_run_arguments(parser: argparse.ArgumentParser, default_name: str | None) -> None:
    """The options every evaluation script shares: data, device, where and under which name to write."""
    parser.add_argument("--subjqa-dir", type=Path, default=None)
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    parser.add_argument("--name", default=default_name, help="Result file stem.")
    parser.add_argument("--device", default=None)
    parser.add_argument("--quiet", "-q", action="store_true")
