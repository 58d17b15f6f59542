"""``kanibako env``: environment variables passed to the container.

Project variables (``{metadata}/env``) override global ones
(``$XDG_DATA_HOME/kanibako/env``); both files use Docker's ``.env`` format.
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.errors import CliError
from kanibako.options import json_option, project_option

global_option = click.option(
    "--global", "is_global", is_flag=True, help="Use the global env file (all projects)."
)


@click.group()
def env() -> None:
    """Environment variable management."""


@env.command("list")
@global_option
@project_option
@json_option
@click.pass_obj
def list_(app: App, is_global: bool, project: Path | None, as_json: bool) -> None:
    """Show the merged variables (global + project), or only the global ones."""
    from kanibako.project_context import current_project
    from kanibako_paths import read_env_file

    paths, proj = current_project(app, project)
    rows: dict[str, tuple[str, str]] = {
        k: (v, "global") for k, v in read_env_file(paths.global_env_file).items()
    }
    if not is_global:
        rows.update({k: (v, "project") for k, v in read_env_file(proj.env_file).items()})
    if as_json:
        from kanibako.tables import echo_json

        echo_json({k: {"value": v, "source": s} for k, (v, s) in sorted(rows.items())})
        return
    for key, (value, source) in sorted(rows.items()):
        click.echo(f"{key}={value}" + ("" if is_global else f"  # {source}"))


@env.command("get")
@click.argument("key")
@global_option
@project_option
@click.pass_obj
def get(app: App, key: str, is_global: bool, project: Path | None) -> None:
    """Print the value of KEY (project overrides global)."""
    from kanibako.project_context import current_project
    from kanibako_paths import merged_env, read_env_file, validate_env_key

    validate_env_key(key)
    paths, proj = current_project(app, project)
    values = read_env_file(paths.global_env_file) if is_global else merged_env(paths, proj)
    if key not in values:
        raise CliError(f"{key} is not set")
    click.echo(values[key])


@env.command("set")
@click.argument("key")
@click.argument("value")
@global_option
@project_option
@click.pass_obj
def set_(app: App, key: str, value: str, is_global: bool, project: Path | None) -> None:
    """Set KEY to VALUE (taken literally: no quotes removed, no $ expansion)."""
    from kanibako.project_context import current_project, initialized_project
    from kanibako_paths import read_env_file, set_env_var, validate_env_key, validate_env_value

    validate_env_key(key)
    validate_env_value(key, value)
    paths, proj = current_project(app, project)
    target = paths.global_env_file if is_global else proj.env_file
    read_env_file(target)  # a malformed file is reported before anything is written
    if not is_global:
        target = initialized_project(app, project)[1].env_file
    set_env_var(target, key, value)
    app.debug(f"wrote {target}")


@env.command("unset")
@click.argument("key")
@global_option
@project_option
@click.pass_obj
def unset(app: App, key: str, is_global: bool, project: Path | None) -> None:
    """Remove KEY (from the project, or the global file with --global)."""
    from kanibako.project_context import current_project
    from kanibako_paths import unset_env_var, validate_env_key

    validate_env_key(key)
    paths, proj = current_project(app, project)
    target = paths.global_env_file if is_global else proj.env_file
    if not unset_env_var(target, key):
        click.echo(f"{key} was not set in {target}", err=True)
