"""``kanibako box settings``: the target's runtime settings for this project.

Effective value: per-project override (``[target_settings]`` in project.toml)
> agent ``[state]`` (the agent TOML) > the target's default.
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import json_option, project_option


@click.group()
def settings() -> None:
    """Target settings of this project (model, permission mode, ...)."""


@settings.command("list")
@project_option
@json_option
@click.pass_obj
def list_(app: App, project: Path | None, as_json: bool) -> None:
    """Show each setting with its default, effective value and source."""
    from kanibako.session.agent import current_agent
    from kanibako.tables import echo_json, echo_table

    paths, proj, context = current_agent(app, project)
    rows = context.settings(paths, proj)
    if as_json:
        echo_json(
            [
                {
                    "key": s.key,
                    "default": s.descriptor.default,
                    "effective": s.value,
                    "source": s.source,
                    "choices": list(s.descriptor.choices) if s.descriptor.choices else None,
                    "description": s.descriptor.description,
                    "target": context.target.name,
                }
                for s in rows
            ]
        )
        return
    if not rows:
        click.echo(f"Target {context.target.name} declares no settings.")
        return
    echo_table(
        ["KEY", "DEFAULT", "EFFECTIVE", "SOURCE", "CHOICES", "DESCRIPTION"],
        [
            [
                s.key,
                s.descriptor.default,
                s.value,
                s.source,
                "|".join(s.descriptor.choices or ()) or "-",
                s.descriptor.description,
            ]
            for s in rows
        ],
    )


@settings.command()
@click.argument("key")
@project_option
@click.pass_obj
def get(app: App, key: str, project: Path | None) -> None:
    """Print the effective value of setting KEY."""
    from kanibako.session.agent import current_agent
    from kanibako_targets import find_descriptor

    paths, proj, context = current_agent(app, project)
    find_descriptor(context.target.setting_descriptors(), key)
    for setting in context.settings(paths, proj):
        if setting.key == key:
            click.echo(setting.value)


@settings.command("set")
@click.argument("key")
@click.argument("value")
@project_option
@click.pass_obj
def set_(app: App, key: str, value: str, project: Path | None) -> None:
    """Override setting KEY for this project (constrained settings accept only their choices)."""
    from kanibako.project_context import initialized_project
    from kanibako.project_tables import set_project_entry
    from kanibako.session.agent import SETTINGS_TABLE, current_agent
    from kanibako_targets import check_value, find_descriptor

    _, proj, context = current_agent(app, project)
    check_value(find_descriptor(context.target.setting_descriptors(), key), value)
    _, proj = initialized_project(app, project)
    set_project_entry(proj, SETTINGS_TABLE, key, value)
    click.echo(f"{key} = {value} (this project)")


@settings.command()
@click.argument("key")
@project_option
@click.pass_obj
def unset(app: App, key: str, project: Path | None) -> None:
    """Remove this project's override of KEY (back to the agent config or default)."""
    from kanibako.project_context import current_project
    from kanibako.project_tables import unset_project_entry
    from kanibako.session.agent import SETTINGS_TABLE

    _, proj = current_project(app, project)
    if unset_project_entry(proj, SETTINGS_TABLE, key):
        click.echo(f"{key}: project override removed")
    else:
        click.echo(f"{key}: no project override was set")
