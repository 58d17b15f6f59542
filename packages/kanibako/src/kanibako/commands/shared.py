"""``kanibako shared``: global (and per-agent) download caches shared by projects."""

from __future__ import annotations

import click

from kanibako.app import App
from kanibako.options import json_option


@click.group()
def shared() -> None:
    """Shared cache management."""


@shared.command()
@click.argument("name")
@click.option("--agent", default=None, metavar="NAME", help="Create NAME's agent-level cache.")
@click.pass_obj
def init(app: App, name: str, agent: str | None) -> None:
    """Create cache NAME (pip, cargo, npm, uv, or one from [shared] in kanibako.toml).

    Caches are lazy: a launch mounts one only once its directory exists.
    """
    from kanibako_paths import init_shared_cache, load_paths

    directory = init_shared_cache(load_paths(), name, agent)
    click.echo(f"Created {'agent ' + agent if agent else 'global'} cache {name}: {directory}")


@shared.command("list")
@json_option
@click.pass_obj
def list_(app: App, as_json: bool) -> None:
    """Show the configured caches and whether each exists."""
    from kanibako.tables import echo_json, echo_table
    from kanibako_paths import agent_caches, global_caches, load_paths

    paths = load_paths()
    caches = [*global_caches(paths), *agent_caches(paths)]
    if as_json:
        echo_json(
            [
                {
                    "name": c.name,
                    "scope": c.scope,
                    "container_path": f"/home/agent/{c.container_path}",
                    "host_dir": str(c.host_dir),
                    "exists": c.exists,
                }
                for c in caches
            ]
        )
        return
    rows = [
        [c.name, c.scope, "yes" if c.exists else "no", f"~/{c.container_path}", str(c.host_dir)]
        for c in caches
    ]
    echo_table(["NAME", "SCOPE", "EXISTS", "IN CONTAINER", "HOST"], rows)
