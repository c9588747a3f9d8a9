"""How the `reviewqa` command line ends when something goes wrong: one `Error:` line, exit code 1.

`ReviewQAGroup` is the class of the main Typer app, so the console script, `python -m qa.cli` and
`typer.testing.CliRunner` all behave the same. It moves the shared options (qa/cli/options.py) to the
front wherever they are typed, runs every command with Click's standalone mode off and turns each
class of failure a user can cause into one line on stderr:

- usage mistakes Click finds (an unknown or missing option, a bad choice, a number out of range);
- the project's own errors (`qa.errors.ReviewQAError`, from the settings, the API, the sources);
- operating-system errors (a full disk, a read-only or missing folder, a file where a folder belongs);
- Ctrl+C: "Interrupted: ..." and exit code 130.

Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from typer._click import exceptions as click_errors  # Typer vendors Click: its classes, not the click package's
from typer._click.core import Context
from typer.core import TyperGroup

from qa.errors import ReviewQAError, os_error_message

#: Exit code of every user error (README: "one `Error: ...` line and exit code 1").
USER_ERROR = 1
#: Exit code after Ctrl+C (128 + SIGINT), as shells report it.
INTERRUPTED = 130
INTERRUPTED_MESSAGE = "Interrupted: the store keeps what was written; re-run to finish."


class _Interrupted(Exception):
    """Ctrl+C inside a command (carried past Click, which would turn it into a silent exit 130)."""


def one_line(message: str) -> str:
    """`message` on one line: line breaks and runs of spaces become single spaces."""
    return " ".join(message.split())


def fail(message: str, code: int = USER_ERROR) -> NoReturn:
    """Print `Error: <message>` as one line on stderr and exit."""
    typer.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(code)


def usage_message(error: click_errors.UsageError) -> str:
    """Click's complaint, plus where to read the options (`reviewqa ask --help`)."""
    message = one_line(error.format_message()).rstrip(".")
    command = error.ctx.command_path if error.ctx is not None else "reviewqa"
    return f"{message}. See `{command} --help`."


#: Commands that hand their arguments to an argparse script unread: shared options after them are theirs.
PASS_THROUGH_COMMANDS = {("eval", "readers"), ("eval", "retrievers")}


def hoist_shared_options(group: TyperGroup, ctx: Context, args: list[str]) -> list[str]:
    """`args` with the group's own options (the shared ones) moved in front of the command.

    Click reads a group's options only before the subcommand's name; moving them lets a shared option
    follow the command, as users type it. Arguments after `--`, and those of pass-through commands,
    are left where they are.
    """
    takes_value: dict[str, bool] = {}
    for param in group.params:
        for name in getattr(param, "opts", []):
            takes_value[name] = not getattr(param, "is_flag", False)
    hoisted: list[str] = []
    rest: list[str] = []
    path: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--" or tuple(path[:2]) in PASS_THROUGH_COMMANDS:
            rest.extend(args[position:])
            break
        name = arg.split("=", 1)[0]
        if name in takes_value:
            with_value = takes_value[name] and "=" not in arg and position + 1 < len(args)
            hoisted.extend(args[position : position + 1 + with_value])
            position += 1 + with_value
            continue
        if not arg.startswith("-") and len(path) < 2 and _is_command_path(group, ctx, [*path, arg]):
            path.append(arg)
        rest.append(arg)
        position += 1
    return hoisted + rest


def _is_command_path(group: TyperGroup, ctx: Context, path: list[str]) -> bool:
    command: Any = group
    for name in path:
        command = command.get_command(ctx, name) if hasattr(command, "get_command") else None
        if command is None:
            return False
    return True


class ReviewQAGroup(TyperGroup):
    """The main command group: every failure a user can cause ends in one `Error:` line (see module doc)."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_shared_options(self, ctx, list(args)))

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:
            raise _Interrupted from interrupt

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        except (
            click_errors.NoArgsIsHelpError
        ) as error:  # no command given: the help (Typer's Rich help is printed already)
            if error.format_message().strip():
                typer.echo(error.format_message())
            sys.exit(error.exit_code)
        except click_errors.UsageError as error:
            fail(usage_message(error))
        except click_errors.ClickException as error:
            fail(error.format_message(), error.exit_code or USER_ERROR)
        except (_Interrupted, typer.Abort, KeyboardInterrupt):
            typer.echo(INTERRUPTED_MESSAGE, err=True)
            sys.exit(INTERRUPTED)
        except ReviewQAError as error:
            fail(str(error))
        except OSError as error:
            if error.errno == errno.EPIPE:  # the reader of our output went away (e.g. `| head`)
                sys.exit(USER_ERROR)
            fail(os_error_message(error))
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)
