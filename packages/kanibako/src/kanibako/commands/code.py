"""``kanibako code [-p DIR]``: the host's VS Code attached to the project's running session.

VS Code's "attach to running container" takes a folder URI naming the
container in hex-encoded JSON: ``vscode-remote://attached-container+HEX/PATH``.
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import project_option


def attach_uri(container: str, folder: str) -> str:
    """VS Code's URI for ``folder`` inside the running ``container``."""
    import json

    # VS Code names containers as the engine's API does, with a leading slash.
    spec = json.dumps({"containerName": f"/{container}"}, separators=(",", ":"))
    return f"vscode-remote://attached-container+{spec.encode().hex()}{folder}"


@click.command()
@project_option
@click.pass_obj
def code(app: App, /, project: Path | None) -> None:
    """Open VS Code attached to the project's running session."""
    import subprocess

    from kanibako.errors import CliError, CliFailure
    from kanibako.session.layout import WORKSPACE
    from kanibako.session.listing import list_sessions
    from kanibako_runtime.engine import find_executable

    workspace = app.project_dir(project)
    running = [
        row
        for row in list_sessions()
        if row.state != "warm" and Path(row.project) == workspace.resolve()
    ]
    if not running:
        raise CliError(f"no running Kanibako session in {workspace}")
    import os

    binary = find_executable("code", os.environ.get("PATH"))
    if binary is None:
        raise CliFailure("VS Code's `code` command is not on PATH")
    uri = attach_uri(running[0].container, WORKSPACE)
    done = subprocess.run([binary, "--folder-uri", uri], check=False)
    if done.returncode:
        raise CliFailure(f"code ended with status {done.returncode}")
