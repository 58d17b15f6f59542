"""Restoring a snapshot: all or nothing.

The current state is snapshotted first. The chosen snapshot is then built in a
private temporary directory beside the target (every manifest entry and archive
member checked on the way), verified against its manifest, and only then swapped in
by two renames. Until that swap the target is not touched, so a damaged or hostile
archive, a full disk or an interrupted restore leaves it exactly as it was. After
the swap, a manifest-only snapshot records the restored tree, so the next snapshot
finds it unchanged instead of storing everything again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kanibako_vault.chain import copy_files, plan_chain
from kanibako_vault.compress import DEFAULT_COMPRESSION, check_compression
from kanibako_vault.errors import CorruptArchiveError, VaultError, VaultUsageError
from kanibako_vault.manifest import Manifest
from kanibako_vault.names import next_name
from kanibako_vault.progress import ByteCounter, Progress
from kanibako_vault.recovery import recover_interrupted_restore
from kanibako_vault.scan import scan_tree
from kanibako_vault.snapshot import snapshot_locked, write_archive
from kanibako_vault.store import (
    check_apart,
    fsync_dir,
    locked_store,
    resolve_name,
    snapshot_names,
)
from kanibako_vault.tree_ops import create_skeleton, finish_tree, remove_tree, write_file


@dataclass(frozen=True)
class RestoreResult:
    """What ``restore`` did.

    ``before`` names the snapshot holding the state that was replaced (None when the
    directory did not exist); ``current`` names the snapshot recording the restored
    tree (None if it could not be written); ``warnings`` lists what went wrong after
    the swap (the old tree could not be fully removed, for instance) without undoing
    the restore.
    """

    restored: str
    before: str | None
    current: str | None
    warnings: tuple[str, ...] = ()


def restore(
    directory: Path,
    store: Path,
    name: str,
    *,
    progress: Progress | None = None,
    compression: str = DEFAULT_COMPRESSION,
) -> RestoreResult:
    """Replace ``directory`` with snapshot ``name`` from ``store`` (a name ``list`` shows).

    The snapshot of the replaced state is written with ``compression``.
    """
    check_compression(compression)
    directory = directory.absolute()
    check_apart(directory, store)
    with locked_store(store):
        recover_interrupted_restore(directory)
        resolve_name(store, name)
        if not directory.parent.is_dir():
            raise VaultUsageError(f"directory does not exist: {directory.parent}")
        target, plan = plan_chain(store, name)
        before = None
        if directory.exists():
            taken = snapshot_locked(directory, store, compression=compression)
            before = taken.snapshot.name if taken.snapshot else taken.unchanged_since
        import tempfile  # only restores need it; snapshots start faster without

        temp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.restore-", dir=directory.parent))
        try:
            create_skeleton(temp, target)
            counter = ByteCounter(sum(e.stored_size for e in target.entries), progress)
            copy_files(
                target,
                plan,
                lambda entry, content: write_file(temp, entry, counter.reading(content)),
            )
            finish_tree(temp, target)
            _verify(temp, target)
            # One sync for the whole tree: cheaper than an fsync per file, and the
            # swap must never expose files whose data is not on disk yet.
            os.sync()
            warnings = _swap(temp, directory)
        except BaseException:
            if temp.exists():
                remove_tree(temp)
            raise
        try:
            current: str | None = _record(directory, store, target, compression)
        except (OSError, VaultError) as exc:
            # The restore itself is done; only the bookkeeping failed (a full disk?).
            # The next snapshot will simply store the restored tree again.
            current = None
            warnings += (f"restored, but could not record the restored state: {exc}",)
    return RestoreResult(name, before, current, warnings)


def _verify(root: Path, target: Manifest) -> None:
    built = scan_tree(root)
    want = [(e.path, e.kind, e.size, e.target) for e in target.entries]
    have = [(e.path, e.kind, e.size, e.target) for e in built.entries]
    if want != have or built.skipped:
        raise CorruptArchiveError(
            f"snapshot {target.name}: the restored tree does not match its manifest"
        )


def _swap(temp: Path, directory: Path) -> tuple[str, ...]:
    if not os.path.lexists(directory):
        temp.rename(directory)
        fsync_dir(directory.parent)
        return ()
    old = directory.parent / f".{directory.name}.old-{os.urandom(4).hex()}"
    directory.rename(old)
    try:
        temp.rename(directory)
    except BaseException:
        old.rename(directory)
        raise
    fsync_dir(directory.parent)
    try:
        remove_tree(old)
    except OSError as exc:
        return (f"could not remove the replaced tree {old}: {exc.strerror}",)
    return ()


def _record(directory: Path, store: Path, restored: Manifest, compression: str) -> str:
    """A snapshot of the restored tree that stores nothing: its content is ``restored``'s."""
    scan = scan_tree(directory)
    manifest = Manifest(
        name=next_name(snapshot_names(store)),
        created=datetime.now(UTC).isoformat(),
        parent=restored.name,
        root_mode=scan.root_mode,
        entries=scan.entries,  # scanned entries are not stored: their content is restored's
    )
    write_archive(directory, store, manifest, compression=compression)
    return manifest.name
