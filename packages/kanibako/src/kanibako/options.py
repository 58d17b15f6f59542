"""Option decorators shared by several commands, so every command spells them alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kanibako.app import LaunchOptions

F = TypeVar("F", bound=Callable[..., Any])


if TYPE_CHECKING:
    from pathlib import Path

    # click >= 8.5 makes ParamType generic; older releases cannot be subscripted.
    _PathParamType = click.ParamType[Path]
else:
    _PathParamType = click.ParamType


class DirectoryPath(_PathParamType):
    """A directory argument converted to ``pathlib.Path``.

    Not ``click.Path(path_type=Path)``: that needs pathlib imported when the
    option is declared, which is on every start-up path, ``--help`` included.
    """

    name = "directory"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        from pathlib import Path

        path = Path(value)
        if path.is_file():
            self.fail(f"{value!r} is a file, not a directory", param, ctx)
        return path


project_option = click.option(
    "-p",
    "--project",
    type=DirectoryPath(),
    default=None,
    help="Use DIR as the project directory (default: the current directory).",
    metavar="DIR",
)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _checked_image(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # Refused here (exit 2) rather than handed to `podman pull`, whose
    # failure is a runtime error (exit 1) in two lines.
    if value is not None and (not value or any(ch.isspace() for ch in value)):
        raise click.BadParameter(f"an image name has no spaces and is not empty, not {value!r}")
    return value


def launch_options(func: F) -> F:
    """The common launch flags of the spec's table (-i -N -S -c --distinct-auth --no-helpers)."""
    decorators = [
        click.option(
            "-i",
            "--image",
            default=None,
            metavar="IMAGE",
            callback=_checked_image,
            help="Use IMAGE for this run.",
        ),
        click.option(
            "-N", "--new", is_flag=True, help="Start a new conversation (skip --continue)."
        ),
        click.option(
            "-S", "--safe", is_flag=True, help="Run without --dangerously-skip-permissions."
        ),
        click.option(
            "-c",
            "--command",
            default=None,
            metavar="CMD",
            help="Run CMD instead of the agent (through /bin/sh when it uses shell syntax).",
        ),
        click.option(
            "--distinct-auth", is_flag=True, help="Use distinct credentials (no sync from host)."
        ),
        click.option("--no-helpers", is_flag=True, help="Launch without helper support (no hub)."),
        click.option(
            "--keep-warm",
            default=None,
            metavar="SECONDS",
            help="Keep a standby container this long after the session (0: none).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def merge_launch(base: LaunchOptions, **given: Any) -> LaunchOptions:
    """Top-level launch flags, overridden by any the subcommand itself was given."""
    return LaunchOptions(
        image=given.get("image") or base.image,
        new=bool(given.get("new")) or base.new,
        safe=bool(given.get("safe")) or base.safe,
        # "" is a command (an empty one, refused at launch), not an absent one.
        command=given["command"] if given.get("command") is not None else base.command,
        distinct_auth=bool(given.get("distinct_auth")) or base.distinct_auth,
        no_helpers=bool(given.get("no_helpers")) or base.no_helpers,
        keep_warm=given.get("keep_warm") if given.get("keep_warm") is not None else base.keep_warm,
    )
