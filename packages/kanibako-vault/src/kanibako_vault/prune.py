"""Pruning: keep the newest snapshots, delete the rest, keep every kept one restorable.

A kept incremental snapshot whose parent is about to go is first rewritten as a
self-contained archive of the same name (atomically, through the chain), so no kept
snapshot ever depends on a deleted one. Only then are the old archives deleted; an
interruption at any point leaves every listed snapshot restorable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kanibako_vault.archive_read import read_manifest
from kanibako_vault.archive_write import ArchiveWriter
from kanibako_vault.chain import copy_files, plan_chain
from kanibako_vault.compress import DEFAULT_COMPRESSION, check_compression
from kanibako_vault.errors import CorruptArchiveError, VaultUsageError
from kanibako_vault.manifest import FILE
from kanibako_vault.store import (
    archive_path,
    archive_paths,
    fsync_dir,
    locked_store,
    snapshot_names,
)


@dataclass(frozen=True)
class PruneResult:
    """Snapshots deleted, and kept ones rewritten as self-contained because of it."""

    deleted: tuple[str, ...]
    rebased: tuple[str, ...]


def prune(store: Path, keep: int, compression: str = DEFAULT_COMPRESSION) -> PruneResult:
    """Keep the ``keep`` newest snapshots of ``store`` and delete the others (0 deletes all).

    A kept snapshot rewritten self-contained is written with ``compression``.
    """
    if keep < 0:
        raise VaultUsageError(f"--keep must be 0 or more, not {keep}")
    check_compression(compression)
    with locked_store(store):
        return prune_locked(store, keep, compression)


def prune_locked(store: Path, keep: int, compression: str = DEFAULT_COMPRESSION) -> PruneResult:
    """``prune`` for a caller already holding the store's lock."""
    names = snapshot_names(store)
    cut = max(len(names) - keep, 0)
    dropped, kept = names[:cut], names[cut:]
    going = set(dropped)
    rebased = []
    for name in kept:
        if _parent(store, name) not in going:
            continue
        try:
            make_self_contained(store, name, compression)
        except CorruptArchiveError:
            # Its chain is damaged already: it could not be restored before either, and
            # it must not block pruning (which runs before every launch).
            continue
        rebased.append(name)
    for name in dropped:
        for path in archive_paths(store, name):
            path.unlink(missing_ok=True)
    fsync_dir(store)
    return PruneResult(tuple(dropped), tuple(rebased))


def _parent(store: Path, name: str) -> str | None:
    try:
        return read_manifest(archive_path(store, name)).parent
    except CorruptArchiveError:
        # Unreadable already; rewriting cannot save it, and it must not block pruning.
        return None


def make_self_contained(store: Path, name: str, compression: str = DEFAULT_COMPRESSION) -> None:
    """Rewrite snapshot ``name`` as a full archive holding its whole tree."""
    target, plan = plan_chain(store, name)
    # A file's extents are those of the archive storing its content.
    extents = {
        e.path: e.extents
        for _, manifest, taken in plan
        for e in manifest.entries
        if e.path in taken
    }
    full = target.with_all_stored(extents)
    with ArchiveWriter(store, full, compression) as writer:
        for entry in full.entries:
            if entry.kind != FILE:
                writer.add(entry)
        copy_files(target, plan, writer.add)
        writer.commit()
