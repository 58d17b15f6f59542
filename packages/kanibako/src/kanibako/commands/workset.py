"""``kanibako workset``: named groups of projects under one root directory."""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import json_option


@click.group()
def workset() -> None:
    """Working set management."""


@workset.command()
@click.argument("name")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def create(app: App, name: str, root: Path) -> None:
    """Create working set NAME at directory ROOT."""
    from kanibako_paths import create_workset, load_paths

    created = create_workset(load_paths(), name, root)
    click.echo(f"Created working set {created.name} at {created.root}")


@workset.command("list")
@json_option
@click.pass_obj
def list_(app: App, as_json: bool) -> None:
    """List working sets."""
    from kanibako.tables import echo_json, echo_table
    from kanibako_paths import list_worksets, load_paths

    worksets = list_worksets(load_paths())
    if as_json:
        echo_json(
            [
                {"name": w.name, "root": str(w.root), "auth": w.auth, "projects": len(w.members)}
                for w in worksets
            ]
        )
        return
    rows = [[w.name, str(len(w.members)), w.auth, str(w.root)] for w in worksets]
    echo_table(["NAME", "PROJECTS", "AUTH", "ROOT"], rows)


@workset.command()
@click.argument("name")
@click.option("--purge", is_flag=True, help="Also delete the root directory and all it holds.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation (with --purge).")
@click.pass_obj
def delete(app: App, name: str, purge: bool, yes: bool) -> None:
    """Forget working set NAME (its files stay unless --purge)."""
    from kanibako_paths import delete_workset, load_paths, load_workset

    paths = load_paths()
    if purge and not yes:
        root = load_workset(paths, name).root
        from kanibako.confirm import confirm_or_refuse

        confirm_or_refuse(f"Delete {root} and every project in it?")
    deleted = delete_workset(paths, name, purge=purge)
    kept = "deleted" if purge else "kept"
    click.echo(f"Deleted working set {deleted.name} (files at {deleted.root} {kept})")


@workset.command()
@click.argument("workset_name", metavar="WORKSET")
@click.argument("source", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Project name (default: SOURCE's directory name).")
@click.option("--no-vault", is_flag=True, help="Do not create the vault.")
@click.pass_obj
def add(app: App, workset_name: str, source: Path | None, name: str | None, no_vault: bool) -> None:
    """Add a project to WORKSET: SOURCE's files (and state) are copied into it.

    The project's workspace becomes WORKSET/workspaces/NAME; SOURCE is left as
    it was. Without SOURCE an empty workspace is created (--name needed).
    """
    from kanibako_paths import add_to_workset, load_paths

    project = add_to_workset(load_paths(), workset_name, source, name=name, vault=not no_vault)
    click.echo(f"Added {project.name} to {workset_name}: workspace {project.workspace}")


@workset.command()
@click.argument("workset_name", metavar="WORKSET")
@click.argument("name")
@click.option("--purge", is_flag=True, help="Also delete the project's workspace files.")
@click.pass_obj
def remove(app: App, workset_name: str, name: str, purge: bool) -> None:
    """Remove project NAME from WORKSET (its box and vault are deleted)."""
    from kanibako_paths import load_paths, remove_from_workset

    for removed in remove_from_workset(load_paths(), workset_name, name, purge=purge):
        click.echo(f"Removed {removed}")
    click.echo(f"{name} is no longer in working set {workset_name}")


@workset.command()
@click.argument("name")
@json_option
@click.pass_obj
def info(app: App, name: str, as_json: bool) -> None:
    """Show working set NAME: root, default auth and projects."""
    from kanibako.tables import echo_json, echo_table
    from kanibako_paths import load_paths, load_workset

    found = load_workset(load_paths(), name)
    members = [
        {
            "name": m.name,
            "workspace": str(found.workspace_dir(m.name)),
            "workspace_exists": found.workspace_dir(m.name).is_dir(),
            "source": m.source,
        }
        for m in found.members
    ]
    if as_json:
        echo_json(
            {"name": found.name, "root": str(found.root), "auth": found.auth, "projects": members}
        )
        return
    click.echo(f"Working set: {found.name}\nRoot:        {found.root}\nAuth:        {found.auth}")
    if members:
        click.echo("")
        echo_table(
            ["PROJECT", "EXISTS", "WORKSPACE"],
            [
                [str(m["name"]), "yes" if m["workspace_exists"] else "MISSING", str(m["workspace"])]
                for m in members
            ],
        )


@workset.command()
@click.argument("name")
@click.argument("mode", required=False)
@click.pass_obj
def auth(app: App, name: str, mode: str | None) -> None:
    """Show or set the default auth of NAME's projects (shared or distinct)."""
    from kanibako_paths import load_paths, load_workset, set_workset_auth

    paths = load_paths()
    if mode is None:
        click.echo(load_workset(paths, name).auth)
        return
    set_workset_auth(paths, name, mode)
    click.echo(f"{name}: auth = {mode}")
