"""``kanibako vault``: snapshots of the project's ``share-rw`` (see kanibako.session.vault_snapshot)."""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.errors import CliError
from kanibako.options import json_option, project_option


@click.group()
def vault() -> None:
    """Vault snapshot management.

    share-rw is snapshotted before every launch (skipped when nothing changed);
    these commands take, list, restore and prune snapshots by hand.
    """


def _enabled_project(app: App, project: Path | None) -> tuple[Path, Path]:
    """share-rw and the snapshot store of a project whose vault is enabled."""
    from kanibako.project_context import current_project

    _, proj = current_project(app, project)
    if not proj.vault_enabled:
        raise CliError(f"the vault is disabled for {proj.workspace} (vault_enabled = false)")
    return proj.vault_rw, _store(app, project)


def _store(app: App, project: Path | None) -> Path:
    """The project's snapshot store (taking over snapshots a migration left behind)."""
    from kanibako.project_context import current_project
    from kanibako.session.vault_snapshot import adopt_migrated_snapshots, snapshot_store

    paths, proj = current_project(app, project)
    adopt_migrated_snapshots(paths, proj)
    return snapshot_store(paths, proj)


@vault.command()
@click.option("--full", is_flag=True, help="Store everything, even if nothing changed.")
@project_option
@click.pass_obj
def snapshot(app: App, full: bool, project: Path | None) -> None:
    """Snapshot share-rw now (skipped when nothing changed since the last one)."""
    from kanibako_vault import snapshot as take
    from kanibako_vault.report import progress_line, skipped_message, snapshot_message

    share_rw, store = _enabled_project(app, project)
    with progress_line("kanibako: vault snapshot") as shown:
        result = take(share_rw, store, full=full, progress=shown)
    warning = skipped_message(result)
    if warning:
        click.echo(f"kanibako: warning: {warning}", err=True)
    click.echo(snapshot_message(result))


@vault.command("list")
@project_option
@json_option
@click.pass_obj
def list_(app: App, project: Path | None, as_json: bool) -> None:
    """Show the snapshots, oldest first (name, time, size, files, kind)."""
    from kanibako_vault import list_snapshots
    from kanibako_vault.report import snapshot_json, snapshot_table

    store = _store(app, project)
    infos = list_snapshots(store) if store.is_dir() else []
    if as_json:
        from kanibako.tables import echo_json

        echo_json(snapshot_json(infos))
    elif infos:
        click.echo(snapshot_table(infos))
    else:
        click.echo("No snapshots.")


@vault.command()
@click.argument("name")
@project_option
@click.pass_obj
def restore(app: App, name: str, project: Path | None) -> None:
    """Replace share-rw with snapshot NAME (a name `vault list` shows).

    The current share-rw is snapshotted first, so a restore can itself be undone.
    """
    from kanibako.project_context import current_project
    from kanibako_runtime.lock import LOCK_FILE_NAME, lock_holder
    from kanibako_vault import restore as put_back
    from kanibako_vault.report import progress_line, restore_message

    share_rw, store = _enabled_project(app, project)
    _, proj = current_project(app, project)
    holder = lock_holder(proj.metadata_dir / LOCK_FILE_NAME)
    if holder is not None:
        # The container holds share-rw open; swapping it underneath would strand the agent.
        raise CliError(
            f"a session is running for this project ({holder.describe()}); stop it first"
        )
    if not store.is_dir():
        raise CliError(f"no snapshot named {name!r}: this project has no snapshots")
    with progress_line("kanibako: vault restore") as shown:
        result = put_back(share_rw, store, name, progress=shown, detach_cleanup=True)
    for warning in result.warnings:
        click.echo(f"kanibako: warning: {warning}", err=True)
    click.echo(restore_message(result))


@vault.command()
@click.option("--keep", required=True, type=int, metavar="N", help="Keep the N newest (0: none).")
@project_option
@click.pass_obj
def prune(app: App, keep: int, project: Path | None) -> None:
    """Delete all but the N newest snapshots."""
    from kanibako_vault import prune as cut
    from kanibako_vault.report import prune_message

    store = _store(app, project)
    if keep < 0:
        raise CliError(f"--keep must be 0 or more, not {keep}")
    if not store.is_dir():
        click.echo("Deleted 0 snapshot(s).")
        return
    click.echo(prune_message(cut(store, keep)))
