"""``kanibako box resource``: how the agent's resources are shared, per project.

Scopes: ``shared`` (bind-mounted from the agent's shared directory),
``seeded`` (copied from it on the project's first run, then the project's
own), ``project`` (nothing shared). Overrides live in ``[target_resources]``
of project.toml and take effect at the next launch.
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import json_option, project_option


@click.group()
def resource() -> None:
    """Resource sharing scopes (shared, seeded, project)."""


@resource.command("list")
@project_option
@json_option
@click.pass_obj
def list_(app: App, project: Path | None, as_json: bool) -> None:
    """Show every agent resource with its default and effective scope."""
    from kanibako.session.agent import current_agent
    from kanibako.tables import echo_json, echo_table

    _, proj, context = current_agent(app, project)
    target = context.target
    rows = context.resources(proj)

    def in_home(key: str) -> str:
        return "~/" + "/".join(p for p in (target.resource_root, key) if p)

    if as_json:
        echo_json(
            [
                {
                    "resource": r.key,
                    "path": in_home(r.key),
                    "default": r.mapping.scope.value,
                    "effective": r.scope.value,
                    "overridden": r.overridden,
                    "description": r.mapping.description,
                    "target": target.name,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo(f"Target {target.name} declares no resources.")
        return
    echo_table(
        ["RESOURCE", "DEFAULT", "EFFECTIVE", "IN CONTAINER", "DESCRIPTION"],
        [
            [
                r.key,
                r.mapping.scope.value,
                r.scope.value + (" (override)" if r.overridden else ""),
                in_home(r.key),
                r.mapping.description,
            ]
            for r in rows
        ],
    )


@resource.command("set")
@click.argument("name")
@click.argument("scope", metavar="SCOPE")
@project_option
@click.pass_obj
def set_(app: App, name: str, scope: str, project: Path | None) -> None:
    """Give resource NAME the SCOPE shared, seeded or project in this project."""
    from kanibako.project_context import initialized_project
    from kanibako.project_tables import set_project_entry
    from kanibako.session.agent import RESOURCES_TABLE, current_agent
    from kanibako_targets import find_resource, parse_scope

    _, proj, context = current_agent(app, project)
    mapping = find_resource(context.target.resource_mappings(), name)
    chosen = parse_scope(scope)
    _, proj = initialized_project(app, project)
    set_project_entry(proj, RESOURCES_TABLE, mapping.path, chosen.value)
    click.echo(f"{mapping.path}: {chosen.value} (this project; applies at the next launch)")


@resource.command()
@click.argument("name")
@project_option
@click.pass_obj
def unset(app: App, name: str, project: Path | None) -> None:
    """Remove this project's scope override of NAME (back to the target's default)."""
    from kanibako.project_tables import unset_project_entry
    from kanibako.session.agent import RESOURCES_TABLE, current_agent
    from kanibako_targets import find_resource

    _, proj, context = current_agent(app, project)
    mapping = find_resource(context.target.resource_mappings(), name)
    removed = unset_project_entry(proj, RESOURCES_TABLE, mapping.path)
    click.echo(f"{mapping.path}: " + ("override removed" if removed else "no override was set"))
