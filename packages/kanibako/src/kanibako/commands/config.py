"""``kanibako config``: get and set configuration (project, or global with --global)."""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.errors import CliError
from kanibako.options import json_option, project_option


@click.command()
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--show", is_flag=True, help="Show every key's value and where it comes from.")
@click.option("--clear", is_flag=True, help="Remove all project overrides (global with --global).")
@click.option("--unset", is_flag=True, help="Remove KEY's override.")
@click.option(
    "--global", "is_global", is_flag=True, help="Read/write the global kanibako.toml instead."
)
@project_option
@json_option
@click.pass_obj
def config(
    app: App,
    *,
    key: str | None,
    value: str | None,
    show: bool,
    clear: bool,
    unset: bool,
    is_global: bool,
    project: Path | None,
    as_json: bool,
) -> None:
    """Get/set per-project configuration.

    `config KEY` prints a value, `config KEY VALUE` sets it.

    Precedence: CLI flag > project.toml > kanibako.toml > defaults. Keys:
    container_image (alias image), container_engine (engine), target_name
    (target), and the global-only paths_data_path (data_path), paths_boxes,
    paths_agents, paths_shared, paths_templates, image_mirror (mirror: the Debian
    mirror images are bootstrapped from) and image_security_mirror
    (security_mirror).
    """
    from kanibako.project_context import current_project
    from kanibako_paths import canonical_key, check_config_assignment, resolve_config

    if sum([show, clear, unset]) > 1 or ((show or clear) and key) or (unset and not key):
        raise CliError("use one of: config KEY [VALUE] | --unset KEY | --show | --clear")
    if unset and value is not None:
        raise CliError("--unset takes a KEY only")
    if key is not None and value is None and not unset:
        paths, proj = current_project(app, project)
        click.echo(resolve_config(paths, proj)[canonical_key(key)])
        return
    if key is not None:
        # Validate before anything is written (an uninitialized project is
        # initialized only for a valid change).
        name = canonical_key(key)
        if value is not None:
            check_config_assignment(name, value, is_global=is_global)
            if name == "target_name" and value:
                _check_target_known(value)
        _write(app, project, name, value, is_global=is_global)
        return
    if clear:
        _clear(app, project, is_global=is_global)
        return
    paths, proj = current_project(app, project)
    resolved = resolve_config(paths, proj)
    if as_json:
        from kanibako.tables import echo_json

        echo_json(
            {k: {"value": v, "source": resolved.sources[k]} for k, v in resolved.values.items()}
        )
        return
    for name, current in resolved.values.items():
        click.echo(f"{name} = {current!r}  ({resolved.sources[name]})")


def _check_target_known(name: str) -> None:
    """Refuse a target no installed plugin registers, now rather than at the next launch.

    Cheap: the entry-point index is read, no plugin is imported.
    """
    from kanibako_targets.internal import target_names

    known = target_names()
    if name not in known:
        raise CliError(f"unknown target {name!r} (known: {', '.join(known)}; '' to auto-detect)")


def _target(app: App, project: Path | None, *, is_global: bool, write: bool) -> Path:
    from kanibako.project_context import current_project, initialized_project

    if is_global:
        return current_project(app, project)[0].config_file
    _, proj = (initialized_project if write else current_project)(app, project)
    return proj.project_config_file


def _write(
    app: App, project: Path | None, name: str, value: str | None, *, is_global: bool
) -> None:
    from kanibako_paths import set_config_value, unset_config_value

    if value is None:
        target = _target(app, project, is_global=is_global, write=False)
        removed = unset_config_value(target, name)
        click.echo(f"{name}: {'override removed' if removed else 'no override set'} ({target})")
        return
    target = _target(app, project, is_global=is_global, write=True)
    set_config_value(target, name, value, is_global=is_global)
    click.echo(f"{name} = {value!r} ({target})")


def _clear(app: App, project: Path | None, *, is_global: bool) -> None:
    from kanibako_paths import clear_config

    target = _target(app, project, is_global=is_global, write=False)
    removed = clear_config(target, is_global=is_global)
    click.echo(f"Removed {', '.join(removed)} from {target}" if removed else "No overrides set.")
