"""``kanibako attach [-p DIR]``: this terminal connected to the project's running session.

Ctrl-] detaches (the session goes on); closing the terminal detaches too.
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import project_option


@click.command()
@project_option
@click.pass_obj
def attach(app: App, /, project: Path | None) -> None:
    """Connect this terminal to the project's session.

    Ctrl-] detaches; the session goes on.
    """
    import socket

    from kanibako.errors import CliError
    from kanibako.session.terminal_client import relay
    from kanibako.session.terminal_server import attach_socket
    from kanibako_paths import load_paths, resolve_project

    workspace = app.project_dir(project)
    path = attach_socket(resolve_project(load_paths(), workspace))
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
    except OSError:
        connection.close()
        raise CliError(f"no detached Kanibako session in {workspace}") from None
    ended = relay(connection)
    click.echo("\r\nkanibako: " + ("session ended" if ended else "detached"), err=True)
