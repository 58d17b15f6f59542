"""``kanibako reauth``: check the agent's credentials, and log in when needed.

The login runs the host's agent (e.g. ``claude auth login``), so the fresh
credentials land on the host and every project with shared auth gets them at
its next launch.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import project_option


@click.command()
@project_option
@click.option("--check", is_flag=True, help="Only check; exit 1 when a login is needed.")
@click.pass_obj
def reauth(app: App, project: Path | None, check: bool) -> None:
    """Check auth and log in if needed."""
    from kanibako.errors import CliFailure
    from kanibako.session.agent import current_agent

    _, proj, context = current_agent(app, project)
    target, install = context.target, context.install
    if proj.auth == "distinct":
        click.echo(
            f"This project uses distinct credentials: log in inside its container "
            f"(`kanibako start`); the host's {target.display_name} login is not used."
        )
        return
    status = target.check_auth()
    click.echo(f"{target.display_name}: {status.detail}")
    if status.ok:
        return
    if check:
        raise CliFailure(f"{target.display_name} needs a login (run `kanibako reauth`)")
    login = target.login_args()
    if install is None:
        raise CliFailure(f"{target.display_name} is not installed on this host: cannot log in")
    if login is None:
        raise CliFailure(f"{target.display_name} has no login command kanibako can run")
    argv = [str(install.binary), *login]
    app.debug("$ " + " ".join(argv))
    done = subprocess.run(argv, check=False)
    if done.returncode != 0:
        raise CliFailure(f"login failed ({' '.join(argv)} exited with {done.returncode})")
    status = target.check_auth()
    click.echo(f"{target.display_name}: {status.detail}")
    if not status.ok:
        raise CliFailure(f"{target.display_name} still has no usable credentials")
