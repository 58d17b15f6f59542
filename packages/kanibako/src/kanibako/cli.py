"""The ``kanibako`` command: a lazy root group over one module per command.

Start-up speed matters (``kanibako --help`` and ``status`` run often), so this
module imports only click and the small app/option modules; each command's
module is imported when that command runs.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from typing import TYPE_CHECKING, Any

import click

from kanibako.__about__ import __version__
from kanibako.app import App, LaunchOptions
from kanibako.errors import SessionEnded, as_cli_error
from kanibako.lazy_group import LazyGroup
from kanibako.options import add_common_flags, launch_options, project_option

if TYPE_CHECKING:
    from pathlib import Path

# name -> ("module:attribute", one-line help shown by `kanibako --help`).
# Static so that `--help` imports no command module; tests/test_help.py checks
# each line against the command's own help, so the two cannot drift.
COMMANDS: dict[str, tuple[str, str]] = {
    "start": ("kanibako.commands.launch:start", "Launch the agent in a container (default)."),
    "shell": ("kanibako.commands.launch:shell", "Open a bash shell in the container."),
    "resume": ("kanibako.commands.launch:resume", "Resume with the agent's conversation picker."),
    "stop": (
        "kanibako.commands.stop:stop",
        "Stop running container(s) of the project at PATH (default: this one).",
    ),
    "attach": (
        "kanibako.commands.attach:attach",
        "Connect this terminal to the project's session.",
    ),
    "ps": ("kanibako.commands.ps:ps", "List this user's sessions and warm standbys."),
    "code": (
        "kanibako.commands.code:code",
        "Open VS Code attached to the project's running session.",
    ),
    "status": (
        "kanibako.commands.status:status",
        "Show project status (mode, paths, lock, image and its freshness).",
    ),
    "config": ("kanibako.commands.config:config", "Get/set per-project configuration."),
    "image": ("kanibako.commands.image:image", "Manage container images."),
    "box": ("kanibako.commands.box:box", "Project management."),
    "workset": ("kanibako.commands.workset:workset", "Working set management."),
    "init": ("kanibako.commands.init:init", "Initialize a decentralized project."),
    "new": ("kanibako.commands.init:new", "Create a new decentralized project."),
    "vault": ("kanibako.commands.vault:vault", "Vault snapshot management."),
    "env": ("kanibako.commands.env:env", "Environment variable management."),
    "net": (
        "kanibako.commands.net:net",
        "Egress: allow, deny and list destinations; show the decision log.",
    ),
    "shared": ("kanibako.commands.shared:shared", "Shared cache management."),
    "helper": ("kanibako.commands.helper:helper", "Child kanibako spawning and messaging."),
    "setup": ("kanibako.commands.setup:setup", "Initial setup (config and default image)."),
    "upgrade": (
        "kanibako.commands.upgrade:upgrade",
        "Update Kanibako from git (git pull --ff-only and reinstall).",
    ),
    "reauth": ("kanibako.commands.reauth:reauth", "Check auth and log in if needed."),
    "doctor": ("kanibako.commands.doctor:doctor", "Check the host; say how to fix it."),
    "gc": ("kanibako.commands.gc:gc", "Show what Kanibako holds on disk and what it can remove."),
}


class RootGroup(LazyGroup):
    """Turns library errors and OS failures into one line and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            translated = as_cli_error(exc)
            if translated is None:
                raise
            raise translated from exc


@click.group(
    cls=RootGroup,
    lazy_commands=COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="kanibako")
@click.option("-v", "--verbose", is_flag=True, help="Show debug output (target, engine command).")
@project_option
@launch_options
@click.pass_context
def cli(ctx: click.Context, /, verbose: bool, project: Path | None, **launch: Any) -> None:
    """Run AI coding agents in rootless containers, one sandbox per project.

    With no command, runs `start`.
    """
    ctx.obj = App(verbose=verbose, project=project, launch=LaunchOptions(**launch))
    if ctx.invoked_subcommand not in _LAUNCHES:
        gc.enable()  # off since main(); a launch turns it on once its servers run
    if ctx.invoked_subcommand is None:
        start = cli.get_command(ctx, "start")
        if start is not None:
            ctx.invoke(start)


cli.on_load = add_common_flags


# The commands that run a session (None: the default, start).
_LAUNCHES = frozenset({None, "start", "shell", "resume"})


def main() -> None:
    """Console-script entry point."""
    # No cyclic garbage collection while the command's modules load: a launch
    # imports some 300 and ran about 60 collections over them (5-25 ms of the
    # import, measured: gc.get_stats() and timing the same imports without gc).
    # The group callback turns it back on for every other command.
    gc.disable()
    try:
        cli.main(prog_name="kanibako")
    except BrokenPipeError:
        # `kanibako box list | head` must not end in a traceback.
        sys.stderr.close()
        sys.exit(1)
    except SessionEnded as ended:
        _exit_at_once(ended.code if isinstance(ended.code, int) else 1)


def run_to_status(argv: list[str]) -> int:
    """Run the CLI on ``argv`` as ``main`` does, and return its exit status (the warm launcher).

    What ``_exit_at_once`` does before it ends the process is done here too;
    the caller reports the status and ends the process at once.
    """
    gc.disable()
    try:
        cli.main(args=argv, prog_name="kanibako")
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        status = 1
    _finish_threads_and_streams()
    return status


def _finish_threads_and_streams() -> None:
    import atexit
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _exit_at_once(status: int) -> None:
    """End the process after a session without the interpreter's teardown.

    Freeing every module's objects took 40-60 ms after each session here, on
    the launch's critical path. What the interpreter must still do first is
    done: non-daemon threads finish (the hub's last registry write), atexit
    handlers run, and the standard streams are flushed.
    """
    import os
    import threading

    if getattr(threading, "_shutdown", None) is None:  # not CPython: the ordinary exit
        sys.exit(status)
    _finish_threads_and_streams()
    os._exit(status)
