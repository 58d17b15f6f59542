"""The snapshot store: a directory of ``<name>.tar.zst`` (or ``.tar.xz``, ``.tar``) files, a lock.

Only complete archives carry a snapshot name; one being written is a hidden
``.tmp-*`` file until it is fsynced and renamed, so an interrupted snapshot (even
``kill -9``) leaves nothing that ``list`` shows. One process at a time works on a
store (``flock`` on ``.lock``); whoever holds the lock removes stale temporaries.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kanibako_vault.archive_read import read_manifest
from kanibako_vault.compress import SUFFIXES
from kanibako_vault.errors import CorruptArchiveError, UnknownSnapshotError, VaultUsageError
from kanibako_vault.names import ARCHIVE_SUFFIXES, is_snapshot_name, name_time, split_archive_name

LOCK_NAME = ".lock"
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot as ``list`` shows it.

    ``files`` counts files and links (not directories) in the snapshot's tree;
    ``parent`` is the snapshot this one was taken against (None: self-contained);
    ``problem`` says why it cannot be restored: the archive is unreadable (then
    ``files`` is None) or its parent is missing.
    """

    name: str
    created: datetime
    size: int
    files: int | None
    parent: str | None
    path: Path
    problem: str | None = None

    @property
    def full(self) -> bool:
        """True for a self-contained snapshot (restoring it needs no other archive)."""
        return self.parent is None and self.problem is None


def check_apart(directory: Path, store: Path) -> None:
    """Refuse a store inside the directory: it would snapshot itself, and a restore would
    swap it away with the old tree."""
    if store.absolute().resolve().is_relative_to(directory.absolute().resolve()):
        raise VaultUsageError(f"the snapshot store {store} must not be inside {directory}")


def archive_path(store: Path, name: str) -> Path:
    """The archive of snapshot ``name`` (in any format); the ``.tar.zst`` path if there is none."""
    found = archive_paths(store, name)
    return found[0] if found else store / f"{name}{ARCHIVE_SUFFIXES[0]}"


def archive_paths(store: Path, name: str) -> list[Path]:
    """Every archive file of snapshot ``name``, preferred first (normally one, or none)."""
    return [
        store / f"{name}{suffix}"
        for suffix in ARCHIVE_SUFFIXES
        if os.path.lexists(store / f"{name}{suffix}")
    ]


def new_archive_path(store: Path, name: str, compression: str) -> Path:
    """Where a new archive of snapshot ``name`` compressed with ``compression`` goes."""
    return store / f"{name}{SUFFIXES[compression]}"


def snapshot_names(store: Path) -> list[str]:
    """Names of the complete archives in the store, oldest first."""
    try:
        files = [p.name for p in store.iterdir()]
    except FileNotFoundError:
        raise VaultUsageError(f"snapshot store does not exist: {store}") from None
    except NotADirectoryError:
        raise VaultUsageError(f"snapshot store is not a directory: {store}") from None
    return sorted({found[0] for f in files if (found := split_archive_name(f)) is not None})


def resolve_name(store: Path, name: str) -> str:
    """``name`` if it is a snapshot ``list`` shows; raises UnknownSnapshotError otherwise."""
    if not is_snapshot_name(name) or name not in snapshot_names(store):
        raise UnknownSnapshotError(f"no snapshot named {name!r} in {store}")
    return name


def describe(store: Path, name: str) -> SnapshotInfo:
    """A snapshot's listing row, read from its manifest."""
    path = archive_path(store, name)
    size = path.stat().st_size
    try:
        manifest = read_manifest(path)
    except CorruptArchiveError as exc:
        return SnapshotInfo(name, name_time(name), size, None, None, path, str(exc))
    problem = None
    if manifest.parent is not None and not archive_path(store, manifest.parent).exists():
        # Only the nearest link is checked: listing must stay cheap.
        problem = f"needs snapshot {manifest.parent}, which is missing"
    return SnapshotInfo(
        name, name_time(name), size, manifest.file_count, manifest.parent, path, problem
    )


def list_snapshots(store: Path) -> list[SnapshotInfo]:
    """Every snapshot in the store, oldest first; unreadable ones carry a ``problem``."""
    return [describe(store, name) for name in snapshot_names(store)]


@contextlib.contextmanager
def locked_store(store: Path, *, create: bool = False) -> Iterator[None]:
    """Hold the store's lock (waiting for another process), removing stale temporaries."""
    if create:
        store.mkdir(parents=True, exist_ok=True)
    elif not store.is_dir():
        raise VaultUsageError(f"snapshot store does not exist: {store}")
    fd = os.open(store / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for leftover in store.glob(f"{TEMP_PREFIX}*"):
            # Only a lock holder writes temporaries, so these belong to a dead process.
            leftover.unlink(missing_ok=True)
        yield
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
