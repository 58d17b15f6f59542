"""``kanibako box``: project state management.

``settings`` and ``resource`` (target settings and resource scopes) live in
their own modules, loaded only when used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanibako.app import App
from kanibako.errors import CliError
from kanibako.lazy_group import LazyGroup
from kanibako.options import json_option, project_option

if TYPE_CHECKING:
    from kanibako_paths import BoxEntry, KanibakoPaths, Project

SUBGROUPS: dict[str, tuple[str, str]] = {
    "settings": ("kanibako.commands.box.settings:settings", "Target settings of this project."),
    "resource": ("kanibako.commands.box.resource:resource", "Resource sharing scopes."),
}
MODES = ("account-centric", "workset", "decentralized")
DERIVED_KEYS = (
    "mode", "metadata", "project_hash", "global_shared", "local_shared", "workspace", "name",
    "workset",
)  # fmt: skip


@click.group(cls=LazyGroup, lazy_commands=SUBGROUPS)
def box() -> None:
    """Project management."""


def _entry_json(entry: BoxEntry, size: int) -> dict[str, Any]:
    return {
        "name": entry.name,
        "mode": entry.mode.value,
        "workspace": None if entry.workspace is None else str(entry.workspace),
        "workspace_exists": entry.workspace_exists,
        "metadata": str(entry.metadata_dir),
        "project_hash": entry.project_hash,
        "workset": entry.workset,
        "size_bytes": size,
        "unreadable": entry.unreadable,
    }


def _print_entries(entries: list[BoxEntry], as_json: bool) -> None:
    from kanibako.gc.holdings import project_sizes
    from kanibako.gc.sizes import human
    from kanibako.tables import echo_json, echo_table
    from kanibako_paths import load_paths

    sizes = project_sizes(load_paths(), entries)
    if as_json:
        echo_json([_entry_json(e, size) for e, size in zip(entries, sizes, strict=True)])
        return
    rows = [
        [
            e.name,
            e.mode.value + (f" ({e.workset})" if e.workset else ""),
            "UNREADABLE" if e.unreadable else "yes" if e.workspace_exists else "MISSING",
            e.unreadable or str(e.workspace),
            e.project_hash[:12],
            human(size),
        ]
        for e, size in zip(entries, sizes, strict=True)
    ]
    echo_table(["NAME", "MODE", "EXISTS", "WORKSPACE", "HASH", "SIZE"], rows)


@box.command("list")
@json_option
@click.pass_obj
def list_(app: App, as_json: bool) -> None:
    """List known projects: mode, workspace, whether it exists."""
    from kanibako_paths import list_boxes, load_paths

    _print_entries(list_boxes(load_paths()), as_json)


@box.command()
@json_option
@click.pass_obj
def orphan(app: App, as_json: bool) -> None:
    """List projects whose workspace directory no longer exists."""
    from kanibako_paths import find_orphans, load_paths

    orphans = find_orphans(load_paths())
    if not orphans and not as_json:
        click.echo("No orphaned projects.")
        return
    _print_entries(orphans, as_json)


def project_values(paths: KanibakoPaths, project: Project) -> dict[str, Any]:
    """Every readable ``box get`` key with its effective value."""
    from kanibako_paths import resolve_config

    target = resolve_config(paths, project).target_name or "claude"
    return {
        "workspace": str(project.workspace),
        "name": project.name,
        "mode": project.mode.value,
        "workset": project.workset or "",
        "metadata": str(project.metadata_dir),
        "project_hash": project.project_hash,
        "shell": str(project.shell_dir),
        "vault_ro": str(project.vault_ro),
        "vault_rw": str(project.vault_rw),
        "vault_enabled": project.vault_enabled,
        "layout": project.layout,
        "auth": project.auth,
        "global_shared": str(paths.global_shared_dir),
        "local_shared": str(paths.agent_shared_dir(target)),
        "initialized": project.initialized,
    }


@box.command()
@project_option
@json_option
@click.pass_obj
def info(app: App, project: Path | None, as_json: bool) -> None:
    """Show where this project's state lives and its settings."""
    from kanibako.project_context import current_project

    values = project_values(*current_project(app, project))
    if as_json:
        from kanibako.tables import echo_json

        echo_json(values)
        return
    width = max(map(len, values)) + 1
    for key, value in values.items():
        shown = str(value).lower() if isinstance(value, bool) else value
        click.echo(f"{key + ':':<{width}} {shown}")


@box.command()
@click.argument("key")
@project_option
@click.pass_obj
def get(app: App, key: str, project: Path | None) -> None:
    """Print one setting of this project.

    Keys: shell, vault_ro, vault_rw, layout, vault_enabled, auth, and the
    read-only mode, metadata, project_hash, global_shared, local_shared,
    workspace, name, workset.
    """
    from kanibako.project_context import current_project

    values = project_values(*current_project(app, project))
    if key not in values:
        raise CliError(f"unknown box key {key!r} (readable: {', '.join(values)})")
    value = values[key]
    click.echo(str(value).lower() if isinstance(value, bool) else value)


@box.command("set")
@click.argument("key")
@click.argument("value")
@project_option
@click.pass_obj
def set_(app: App, key: str, value: str, project: Path | None) -> None:
    """Override one setting of this project.

    Keys: shell, vault_ro, vault_rw (absolute paths), layout (simple, default,
    robust), vault_enabled (true/false), auth (shared, distinct).
    """
    from kanibako.project_context import current_project, initialized_project
    from kanibako_paths import check_box_paths, parse_box_setting, store_box_setting

    stored = parse_box_setting(key, value)  # before anything is written
    _, current = current_project(app, project)  # a malformed project.toml stops us here
    check_box_paths(current.mode, current.workspace, {key: stored}, "box setting")
    _, proj = initialized_project(app, project)
    store_box_setting(proj.project_config_file, key, stored)
    click.echo(f"{key} = {str(stored).lower() if isinstance(stored, bool) else stored}")


@box.command()
@project_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_obj
def archive(app: App, project: Path | None, output: Path | None) -> None:
    """Save this project's state to a .tar.gz file.

    The archive holds the box (project.toml, env, shell) and the vault, not
    the workspace files.
    """
    from kanibako.project_context import current_project
    from kanibako_paths import archive_project, default_archive_name

    _, proj = current_project(app, project)
    written = archive_project(proj, output or Path.cwd() / default_archive_name(proj))
    click.echo(f"Archived {proj.workspace} to {written}")


@box.command()
@click.argument("archive_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@click.option("--force", is_flag=True, help="Replace this project's existing state.")
@click.pass_obj
def restore(app: App, archive_file: Path, project: Path | None, force: bool) -> None:
    """Restore a project's state from an archive.

    ARCHIVE_FILE is made by `box archive`; it may come from a project in
    another mode or place.
    """
    from kanibako.project_context import current_project
    from kanibako_paths import restore_project

    paths, proj = current_project(app, project)
    restored = restore_project(paths, proj, archive_file, force=force)
    click.echo(f"Restored {archive_file} into {restored.workspace} ({restored.mode.value})")


@box.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--orphans", is_flag=True, help="Purge every orphaned project.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@project_option
@click.pass_obj
def purge(app: App, path: Path | None, orphans: bool, yes: bool, project: Path | None) -> None:
    """Delete a project's state (its files are kept).

    PATH defaults to this project; --orphans purges every orphan.
    """
    from kanibako.project_context import current_project
    from kanibako_paths import find_orphans, load_paths, project_at, purge_project

    if orphans:
        if path is not None:
            raise CliError("give either PATH or --orphans")
        paths = load_paths()
        victims = [
            project_at(paths, e.mode, e.workspace)
            if e.workset is None and e.workspace is not None
            else None
            for e in find_orphans(paths)
        ]
        targets = [v for v in victims if v is not None]
        targets += _orphaned_workset_members(paths)
    else:
        paths, proj = current_project(app, path or project)
        if not proj.initialized:
            raise CliError(f"{proj.workspace} has no kanibako state")
        targets = [proj]
    if not targets:
        click.echo("Nothing to purge.")
        return
    for target in targets:
        click.echo(f"{target.workspace} ({target.mode.value}): {target.metadata_dir}")
    if not yes:
        from kanibako.confirm import confirm_or_refuse

        confirm_or_refuse("Delete this state?")
    from kanibako.gc.holdings import helper_log_files
    from kanibako.stub_removal import remove_tree

    for target in targets:
        logs = helper_log_files(paths, target)  # named by the project's hash: find them first
        for removed in purge_project(paths, target, remove_tree):
            click.echo(f"Removed {removed}")
        for log in logs:
            if log.is_dir() and not log.is_symlink():
                remove_tree(log)
            else:
                log.unlink(missing_ok=True)
            click.echo(f"Removed {log}")


def _orphaned_workset_members(paths: KanibakoPaths) -> list[Project]:
    from kanibako_paths import ProjectMode, list_worksets, project_at

    found = []
    for workset in list_worksets(paths):
        for member in workset.members:
            workspace = workset.workspace_dir(member.name)
            if not workspace.is_dir():
                found.append(
                    project_at(
                        paths,
                        ProjectMode.WORKSET,
                        workspace,
                        workset_name=workset.name,
                        workset_root=workset.root,
                        name=member.name,
                    )
                )
    return found


def _transfer_command(move: bool) -> click.Command:
    verb = "migrate" if move else "duplicate"

    @click.command(verb)
    @click.argument("source", required=False, type=click.Path(file_okay=False, path_type=Path))
    @click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
    @click.option(
        "--to", "to", default=None, metavar="MODE", help=f"Destination mode: {', '.join(MODES)}."
    )
    @click.option("--workset", default=None, help="Destination working set (--to workset).")
    @click.option("--name", default=None, help="Project name in the working set.")
    @project_option
    @click.pass_obj
    def command(
        app: App,
        *,
        source: Path | None,
        dest: Path | None,
        to: str | None,
        workset: str | None,
        name: str | None,
        project: Path | None,
    ) -> None:
        from kanibako.project_context import current_project
        from kanibako_paths import ProjectMode, transfer_project

        paths, proj = current_project(app, source or project)
        mode = ProjectMode.parse(to) if to else proj.mode
        if dest is None and mode is proj.mode and mode is not ProjectMode.WORKSET:
            raise CliError(f"nothing to {verb}: give --to MODE or a new project path")
        result = transfer_project(
            paths, proj, mode, move=move, dest=dest, workset=workset, name=name
        )
        done = "Migrated" if move else "Duplicated"
        click.echo(
            f"{done} {proj.workspace} ({proj.mode.value}) to {result.workspace} ({mode.value})"
        )

    command.help = (
        f"{'Move' if move else 'Copy'} a project's state to another mode or path.\n\n"
        "Config, env, shell and vault go along. SOURCE defaults to this project; DEST is the new project directory "
        "(needed when leaving a working set, or to remap an orphan to where its files are now)."
        + ("" if move else " The source is left unchanged.")
    )
    return command


box.add_command(_transfer_command(move=True))
box.add_command(_transfer_command(move=False))
