"""``start``, ``shell`` and ``resume``: one session in a container, to its end.

The exit status of the command is the container's (for ``-c CMD``, CMD's),
or 128+N when signal N ended the session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kanibako.app import App
from kanibako.options import launch_options, merge_launch, project_option

detach_option = click.option(
    "-d",
    "--detach",
    is_flag=True,
    help="Run the session in the background; `kanibako attach` connects to it.",
)


def _run(app: App, mode: str, project: Path | None, given: dict[str, Any]) -> None:
    from kanibako.errors import CliError, SessionEnded
    from kanibako.session.run import SessionRequest, echo_stderr

    project_dir = app.project_dir(project)
    if not project_dir.is_dir():
        # Else the engine would create it (as root, with a rootful engine).
        raise CliError(f"no such project directory: {project_dir}")
    detach = given.pop("detach", False)
    request = SessionRequest(
        project_dir=project_dir,
        launch=merge_launch(app.launch, **given),
        mode=mode,  # type: ignore[arg-type]
        verbose=app.verbose,
    )
    if detach:
        from kanibako.session.detached import start_detached

        status = start_detached(request, echo_stderr)
    else:
        from kanibako.session.foreground import run_foreground

        status = run_foreground(request, echo_stderr)
        # Everything the session held is released: nothing is left for the
        # interpreter's teardown to do (see kanibako.cli.main).
        raise SessionEnded(status)
    if status:
        raise SystemExit(status)


@click.command()
@project_option
@launch_options
@detach_option
@click.pass_obj
def start(app: App, /, project: Path | None, **launch: Any) -> None:
    """Launch the agent in a container (default).

    The agent continues its last conversation unless -N is given.
    """
    _run(app, "start", project, launch)


@click.command()
@project_option
@launch_options
@detach_option
@click.pass_obj
def shell(app: App, /, project: Path | None, **launch: Any) -> None:
    """Open a bash shell in the container."""
    _run(app, "shell", project, launch)


@click.command()
@project_option
@launch_options
@detach_option
@click.pass_obj
def resume(app: App, /, project: Path | None, **launch: Any) -> None:
    """Resume with the agent's conversation picker."""
    _run(app, "resume", project, launch)
