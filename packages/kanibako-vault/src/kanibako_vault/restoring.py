"""Restoring a snapshot: all or nothing.

The current state is snapshotted first. The chosen snapshot is then built in a
private temporary directory beside the target (every manifest entry and archive
member checked on the way), verified against its manifest, and only then swapped in
by two renames. Until that swap the target is not touched, so a damaged or hostile
archive, a full disk or an interrupted restore leaves it exactly as it was. After
the swap, a manifest-only snapshot records the restored tree, so the next snapshot
finds it unchanged instead of storing everything again.

The replaced tree stays parked beside the target until one ``syncfs`` of the
filesystem (never a global ``sync``) has made the restored tree durable; then it is
deleted (see ``replacing``: after a crash before that sync, the parked tree is put
back). With ``detach_cleanup`` the sync and the deletion run in a detached process
holding the store's lock, so the caller waits for neither; the next operation on the
store does, if they are not done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kanibako_vault.chain import copy_files, plan_chain
from kanibako_vault.compress import DEFAULT_COMPRESSION, check_compression
from kanibako_vault.detached import run_detached
from kanibako_vault.errors import CorruptArchiveError, VaultError, VaultUsageError
from kanibako_vault.manifest import Manifest
from kanibako_vault.names import next_name
from kanibako_vault.progress import ByteCounter, Progress
from kanibako_vault.recovery import recover_interrupted_restore
from kanibako_vault.replacing import settle, swap_in
from kanibako_vault.scan import Scan, scan_tree
from kanibako_vault.snapshotting import snapshot_locked, write_archive
from kanibako_vault.store import check_apart, locked_store, resolve_name, snapshot_names
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
    detach_cleanup: bool = False,
) -> RestoreResult:
    """Replace ``directory`` with snapshot ``name`` from ``store`` (a name ``list`` shows).

    The snapshot of the replaced state is written with ``compression``.
    ``detach_cleanup``: sync the restored tree and delete the replaced one in a
    detached process (see above).
    """
    check_compression(compression)
    directory = directory.absolute()
    check_apart(directory, store)
    with locked_store(store) as lock_fd:
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
            built = _verify(temp, target)
            replaced = swap_in(temp, directory)
        except BaseException:
            if temp.exists():
                remove_tree(temp)
            raise
        warnings: tuple[str, ...] = ()
        try:
            current: str | None = _record(directory, built, store, target, compression)
        except (OSError, VaultError) as exc:
            # The restore itself is done; only the bookkeeping failed (a full disk?).
            # The next snapshot will simply store the restored tree again.
            current = None
            warnings += (f"restored, but could not record the restored state: {exc}",)
        if replaced is not None:
            # Last, so the store's lock passes to the detached process only when done.
            warnings += _finish(replaced, directory, lock_fd if detach_cleanup else None)
    return RestoreResult(name, before, current, warnings)


def _verify(root: Path, target: Manifest) -> Scan:
    """The scan of the built tree, checked against its manifest."""
    built = scan_tree(root)
    want = [(e.path, e.kind, e.size, e.target) for e in target.entries]
    have = [(e.path, e.kind, e.size, e.target) for e in built.entries]
    if want != have or built.skipped:
        raise CorruptArchiveError(
            f"snapshot {target.name}: the restored tree does not match its manifest"
        )
    return built


def _finish(replaced: Path, directory: Path, lock_fd: int | None) -> tuple[str, ...]:
    """Sync the restored tree, then delete the one it replaced (detached if it can be)."""

    def settle_and_remove() -> None:
        remove_tree(settle(replaced, directory))

    if lock_fd is not None and run_detached(settle_and_remove, lock_fd):
        return ()
    try:
        settle_and_remove()
    except OSError as exc:
        # The next vault operation on this directory finishes it (see recovery).
        return (f"could not remove the replaced tree {replaced}: {exc.strerror}",)
    return ()


def _record(directory: Path, scan: Scan, store: Path, restored: Manifest, compression: str) -> str:
    """A snapshot of the restored tree that stores nothing: its content is ``restored``'s."""
    # ``scan`` is the built tree's, taken before the swap: renaming the tree's root
    # changes no entry's lstat facts, so it describes the restored tree as it is now.
    manifest = Manifest(
        name=next_name(snapshot_names(store)),
        created=datetime.now(UTC).isoformat(),
        parent=restored.name,
        root_mode=scan.root_mode,
        entries=scan.entries,  # scanned entries are not stored: their content is restored's
    )
    write_archive(directory, store, manifest, compression=compression)
    return manifest.name
