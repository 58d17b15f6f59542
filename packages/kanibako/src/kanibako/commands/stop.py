"""``kanibako stop [PATH|--all]``: stop sessions, wherever they were started.

Sessions are found by their containers' labels, not by any local state, so a
session started from another terminal (or by a helper) is stopped too. The
kanibako process that owns it sees its container end and cleans up after it
(credentials written back, hub stopped, lock released).
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import json_option


@click.command()
@click.argument(
    "path", required=False, type=click.Path(file_okay=False, path_type=Path), metavar="[PATH]"
)
@click.option("--all", "stop_all", is_flag=True, help="Stop every Kanibako session.")
@json_option
@click.pass_obj
def stop(app: App, /, path: Path | None, stop_all: bool, as_json: bool) -> None:
    """Stop running container(s) of the project at PATH (default: this one)."""
    from kanibako.errors import CliError
    from kanibako.session.stopping import stop_sessions

    if stop_all and path is not None:
        raise CliError("give a PATH or --all, not both")
    stopped = stop_sessions(None if stop_all else app.project_dir(path))
    if as_json:
        import json

        click.echo(json.dumps([{"name": c.name, "workspace": c.workspace} for c in stopped]))
        return
    if not stopped:
        where = "anywhere" if stop_all else str(app.project_dir(path))
        click.echo(f"no running Kanibako session {'' if stop_all else 'in '}{where}")
        return
    for container in stopped:
        click.echo(f"stopped {container.name} ({container.workspace})")
