"""A project's vault snapshots: where they live, and the snapshot taken before each launch.

Snapshots of ``share-rw`` are kept outside ``share-rw`` and outside everything the
container mounts, so the agent can neither read nor wreck them:

- account-centric and working-set projects: ``{metadata_dir}/vault-snapshots`` (the
  box; only its ``shell`` subdirectory is mounted);
- decentralized projects: ``{data_dir}/vault-snapshots/{project_hash}``, because the
  metadata dir ``{project}/.kanibako`` sits inside the mounted workspace.

After ``box migrate`` the snapshots are moved to the new mode's place on first use
(``adopt_migrated_snapshots``).
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako_paths import KanibakoPaths, Project, ProjectMode, ResolvedConfig, resolve_config

SNAPSHOTS_DIR = "vault-snapshots"


def snapshot_store(paths: KanibakoPaths, project: Project) -> Path:
    """The directory holding this project's snapshots of ``share-rw``."""
    if project.mode is ProjectMode.DECENTRALIZED:
        return paths.data_dir / SNAPSHOTS_DIR / project.project_hash
    return project.metadata_dir / SNAPSHOTS_DIR


def adopt_migrated_snapshots(paths: KanibakoPaths, project: Project) -> None:
    """Move snapshots that ``box migrate`` left in another mode's place into this one's.

    A migration copies the box, so snapshots taken in account-centric or working-set
    mode arrive in ``{project}/.kanibako/vault-snapshots``; ones taken in decentralized
    mode stay under the data dir, keyed by the workspace path's hash (unchanged by an
    in-place migration). Cheap when there is nothing to move: one or two ``stat``s.
    """
    store = snapshot_store(paths, project)
    if store.exists():
        return
    if project.mode is ProjectMode.DECENTRALIZED:
        left = project.metadata_dir / SNAPSHOTS_DIR
    else:
        left = paths.data_dir / SNAPSHOTS_DIR / project.project_hash
    if left.is_dir():
        import shutil  # only for the rare move: `vault snapshot` starts faster without

        store.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(left, store)


def snapshot_before_launch(
    paths: KanibakoPaths, project: Project, config: ResolvedConfig | None = None
) -> None:
    """Snapshot ``share-rw`` before a session (a no-op when the vault is disabled or absent).

    Unchanged since the last snapshot costs one ``lstat`` walk; otherwise only what
    changed is compressed. A failure raises (the launch stops rather than run an
    agent on a vault that could not be saved).
    """
    if not project.vault_enabled:
        return
    adopt_migrated_snapshots(paths, project)
    share_rw = project.vault_rw
    # A restore killed between its two renames leaves share-rw parked beside itself
    # (as .share-rw.unsynced-*, or .old-* by an older version); snapshot() puts it
    # back (under the store's lock) before looking at it.
    parked = share_rw.parent.is_dir() and any(
        any(share_rw.parent.glob(f".{share_rw.name}.{state}-*")) for state in ("unsynced", "old")
    )
    if not share_rw.is_dir() and not parked:
        return
    from kanibako_vault import snapshot
    from kanibako_vault.report import progress_line, skipped_message

    # vault_compression, and vault_keep: the newest kept after it (pruned as `vault prune`).
    compression, keep = (config or resolve_config(paths, project)).vault_retention()
    with progress_line("kanibako: vault snapshot") as shown:
        store = snapshot_store(paths, project)
        result = snapshot(
            share_rw, store, progress=shown, compression=compression, keep_newest=keep
        )
    warning = skipped_message(result)
    if warning:
        click.echo(f"kanibako: warning: vault snapshot {warning}", err=True)
