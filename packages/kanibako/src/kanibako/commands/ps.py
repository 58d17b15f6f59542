"""``kanibako ps [--json]``: this user's sessions (attached, detached, orphaned, resumable) and warm standbys."""

from __future__ import annotations

import click

from kanibako.app import App
from kanibako.options import json_option


@click.command()
@json_option
@click.pass_obj
def ps(app: App, /, as_json: bool) -> None:
    """List this user's sessions and warm standbys."""
    from dataclasses import asdict

    from kanibako.session.listing import list_sessions
    from kanibako.tables import echo_json, echo_table

    rows = list_sessions()
    if as_json:
        echo_json([asdict(row) for row in rows])
        return
    if not rows:
        click.echo("no Kanibako session or standby")
        return
    echo_table(
        ["PROJECT", "MODE", "STATE", "SINCE", "IMAGE", "HELPERS", "CONTAINER"],
        [
            [r.project, r.mode or "-", r.state, r.since, r.image, str(r.helpers), r.container]
            for r in rows
        ],
    )
