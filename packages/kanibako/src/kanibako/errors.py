"""How failures reach the user: one line on stderr and an exit status.

Every kanibako library raises its own error type derived from one base per
package; each base carries an integer ``exit_code`` (2 for a user mistake, 1
for a runtime failure). The CLI recognises them by that attribute, so it need
not import the libraries just to catch their errors.
"""

from __future__ import annotations

from typing import IO, Any

import click

from kanibako.display import safe_line


class CliError(click.ClickException):
    """A user mistake found by the CLI itself: one line, exit status 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"kanibako: {self.format_message()}", err=True, file=file)


class CliFailure(CliError):
    """A runtime failure (engine, disk, network): one line, exit status 1."""

    exit_code = 1


class SessionEnded(SystemExit):
    """A foreground session is over and torn down; ``code`` is its exit status.

    The console script ends the process on it at once (see ``kanibako.cli.main``).
    """


def cli_error(message: str, exit_code: int) -> CliError:
    """A CliError for a user mistake (2) or anything else (a runtime failure, 1)."""
    return CliError(message) if exit_code == 2 else CliFailure(message)


def library_exit_code(exc: BaseException) -> int | None:
    """The exit status a kanibako library error asks for, or None if it is not one."""
    code = getattr(exc, "exit_code", None)
    module = type(exc).__module__
    if isinstance(code, int) and module.split(".")[0].startswith("kanibako"):
        return code
    return None


def as_cli_error(exc: BaseException) -> CliError | None:
    """Translate a library error or an OS-level failure into a one-line CliError."""
    code = library_exit_code(exc)
    if code is not None:
        return cli_error(str(exc), code)
    if isinstance(exc, OSError):
        # A full disk, a permission problem, a vanished directory: the user
        # needs the reason and the path, not a traceback.
        # The path may be one the agent named (a file in the workspace): escaped.
        where = f": {safe_line(exc.filename)}" if exc.filename else ""
        return CliFailure(f"{exc.strerror or exc}{where}")
    return None
