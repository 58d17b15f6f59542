"""A project's vault snapshots: where they live, and the snapshot taken before each launch.

Snapshots of ``share-rw`` are kept outside ``share-rw`` and outside everything the
container mounts, so the agent can neither read nor wreck them:

- account-centric and working-set projects: ``{metadata_dir}/vault-snapshots`` (the
  box; only its ``shell`` subdirectory is mounted);
- decentralized projects: ``{data_dir}/vault-snapshots/{project_hash}``, because the
  metadata dir ``{project}/.kanibako`` sits inside the mounted workspace.
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako_paths import KanibakoPaths, Project, ProjectMode

SNAPSHOTS_DIR = "vault-snapshots"


def snapshot_store(paths: KanibakoPaths, project: Project) -> Path:
    """The directory holding this project's snapshots of ``share-rw``."""
    if project.mode is ProjectMode.DECENTRALIZED:
        return paths.data_dir / SNAPSHOTS_DIR / project.project_hash
    return project.metadata_dir / SNAPSHOTS_DIR


def snapshot_before_launch(paths: KanibakoPaths, project: Project) -> None:
    """Snapshot ``share-rw`` before a session (a no-op when the vault is disabled or absent).

    Unchanged since the last snapshot costs one ``lstat`` walk; otherwise only what
    changed is compressed. A failure raises (the launch stops rather than run an
    agent on a vault that could not be saved).
    """
    if not project.vault_enabled:
        return
    share_rw = project.vault_rw
    # A restore killed between its two renames leaves share-rw parked beside itself;
    # snapshot() puts it back (under the store's lock) before looking at it.
    parked = share_rw.parent.is_dir() and any(share_rw.parent.glob(f".{share_rw.name}.old-*"))
    if not share_rw.is_dir() and not parked:
        return
    from kanibako_vault import snapshot
    from kanibako_vault.report import progress_line, skipped_message

    with progress_line("kanibako: vault snapshot") as shown:
        result = snapshot(share_rw, snapshot_store(paths, project), progress=shown)
    warning = skipped_message(result)
    if warning:
        click.echo(f"kanibako: warning: vault snapshot {warning}", err=True)
