"""Taking a snapshot: skip when nothing changed, else store only what changed.

The directory is walked with ``lstat`` only and compared with the latest snapshot's
manifest (size, mtime, ctime, inode, mode, link target). Nothing changed: no new
archive, and no file content read. Otherwise the new archive stores the entries that
changed and names the latest snapshot as its parent; the rest is found through the
chain (see restore). ``full=True``, or a latest snapshot that cannot be read, gives a
self-contained archive. With ``keep_newest``, older snapshots beyond that many are then
pruned (as ``prune`` does), so a vault snapshotted before every launch stays bounded.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, cast

from kanibako_vault.compress import (
    DEFAULT_COMPRESSION,
    PLAIN_FROM,
    check_compression,
    worth_compressing,
)
from kanibako_vault.display import display_name
from kanibako_vault.errors import CorruptArchiveError, VaultError, VaultUsageError
from kanibako_vault.manifest import FILE, Entry, Manifest, dump_manifest
from kanibako_vault.manifest_cache import cached_matches, recall, remember
from kanibako_vault.names import next_name
from kanibako_vault.progress import ByteCounter, Progress
from kanibako_vault.recovery import recover_interrupted_restore
from kanibako_vault.scan import Scan, scan_tree
from kanibako_vault.sparse import ExtentReader, data_extents
from kanibako_vault.store import (
    TEMP_PREFIX,
    SnapshotInfo,
    archive_path,
    check_apart,
    describe,
    locked_store,
    snapshot_names,
)


@dataclass(frozen=True)
class SnapshotResult:
    """What ``snapshot`` did: a new snapshot, or none because nothing changed.

    ``skipped`` lists entries left out (special files, links pointing outside the
    directory, unreadable files); ``unchanged_since`` names the snapshot that already
    holds this state when no new one was needed.
    """

    snapshot: SnapshotInfo | None
    unchanged_since: str | None
    skipped: tuple[str, ...]


def snapshot(
    directory: Path,
    store: Path,
    *,
    full: bool = False,
    progress: Progress | None = None,
    compression: str = DEFAULT_COMPRESSION,
    keep_newest: int | None = None,
) -> SnapshotResult:
    """Snapshot ``directory`` into ``store`` (created if missing), skipping if unchanged.

    ``compression`` is ``zstd``, ``xz`` or ``none``; ``keep_newest`` (1 or more), if
    given, prunes all but that many newest snapshots afterwards.
    """
    check_compression(compression)
    if keep_newest is not None and keep_newest < 1:
        raise VaultUsageError(f"keep_newest must be 1 or more, not {keep_newest}")
    check_apart(directory, store)
    with locked_store(store, create=True):
        result = snapshot_locked(
            directory, store, full=full, progress=progress, compression=compression
        )
        if keep_newest is not None:
            from kanibako_vault.pruning import prune_locked

            prune_locked(store, keep_newest, compression)
    return result


def snapshot_locked(
    directory: Path,
    store: Path,
    *,
    full: bool = False,
    progress: Progress | None = None,
    compression: str = DEFAULT_COMPRESSION,
) -> SnapshotResult:
    """``snapshot`` for a caller already holding the store's lock."""
    recover_interrupted_restore(directory)
    scan = scan_tree(directory)
    names = snapshot_names(store)
    if (
        not full
        and names
        and cached_matches(
            store, archive_path(store, names[-1]), names[-1], scan.root_mode, scan.entries
        )
    ):
        return SnapshotResult(None, names[-1], scan.skipped)
    previous = None if full or not names else _readable(store, names[-1])
    entries, unreadable = _plan(directory, scan, previous)
    if previous is not None and _unchanged(scan, entries, previous):
        return SnapshotResult(None, previous.name, scan.skipped + unreadable)
    manifest = Manifest(
        name=next_name(names),
        created=datetime.now(UTC).isoformat(),
        parent=previous.name if previous is not None else None,
        root_mode=scan.root_mode,
        entries=entries,
    )
    write_archive(directory, store, manifest, progress, compression)
    return SnapshotResult(describe(store, manifest.name), None, scan.skipped + unreadable)


def _readable(store: Path, name: str) -> Manifest | None:
    path = archive_path(store, name)
    cached = recall(store, path, name)
    if cached is not None:
        return cached
    # Imported here: with the cache, an unchanged snapshot needs neither tarfile nor zstd.
    from kanibako_vault.archive_read import read_manifest

    # A damaged latest archive must not block snapshots: start a new, full chain.
    try:
        manifest = read_manifest(path)
    except CorruptArchiveError:
        return None
    # A store from before the cache (or after a failed write of it) gets one now.
    remember(store, path, dump_manifest(manifest), TEMP_PREFIX)
    return manifest


def _unchanged(scan: Scan, planned: tuple[Entry, ...], previous: Manifest) -> bool:
    # Nothing to store, and as many entries as before (paths are unique, so the same
    # ones): the previous snapshot already holds this state.
    return (
        scan.root_mode == previous.root_mode
        and len(planned) == len(previous.entries)
        and not any(e.stored for e in planned)
    )


def _plan(
    directory: Path, scan: Scan, previous: Manifest | None
) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
    """Mark what this archive stores; leave out files we may not read."""
    before = {e.path: e for e in previous.entries} if previous is not None else {}
    entries: list[Entry] = []
    unreadable: list[str] = []
    for entry in scan.entries:
        old = before.get(entry.path)
        store_it = old is None or not entry.unchanged_from(old)
        if store_it and entry.kind == FILE and not os.access(directory / entry.path, os.R_OK):
            # An agent can chmod 000 a file; that must not block every later launch.
            unreadable.append(entry.path)
            continue
        extents = None
        if store_it and entry.path in scan.holey:
            # The manifest goes first in the archive, so holes are mapped now.
            with _open_unchanged(directory, entry) as probe:
                extents = data_extents(probe.fileno())
        # replace() only where something differs from the scan: it is slow per entry.
        changed = store_it or extents is not None
        entries.append(replace(entry, stored=store_it, extents=extents) if changed else entry)
    return tuple(entries), tuple(unreadable)


def write_archive(
    directory: Path,
    store: Path,
    manifest: Manifest,
    progress: Progress | None = None,
    compression: str = DEFAULT_COMPRESSION,
) -> Path:
    """Write ``manifest`` and the content of every stored entry, read from ``directory``."""
    # Imported here: an unchanged snapshot (the common case) never writes.
    from kanibako_vault.archive_write import ArchiveWriter

    counter = ByteCounter(sum(e.stored_size for e in manifest.entries if e.stored), progress)
    sample = _sample(directory, manifest) if compression == "zstd" else b""
    if counter.total >= PLAIN_FROM and sample and not worth_compressing(sample):
        compression = "none"  # incompressible content: a plain tar costs only the copy
    with ArchiveWriter(store, manifest, compression, sample) as writer:
        for entry in manifest.entries:
            if not entry.stored:
                continue
            if entry.kind != FILE:
                writer.add(entry)
                continue
            with _open_unchanged(directory, entry) as opened:
                content: IO[bytes] = opened
                if entry.extents is not None:
                    content = cast(IO[bytes], ExtentReader(opened.fileno(), entry.extents))
                try:
                    if writer.copies_in_kernel and entry.extents is None:
                        writer.add_copied(entry, opened.fileno(), counter.add)
                    else:
                        writer.add(entry, counter.reading(content))
                except OSError as exc:
                    if exc.errno is not None:
                        raise
                    # tarfile's "unexpected end of data": the file shrank while read.
                    raise VaultError(
                        f"{display_name(directory / entry.path)} changed during the snapshot; try again"
                    ) from exc
        return writer.commit()


_SAMPLE_FILES = 16
_SAMPLE_BYTES = 16 * 1024


def _sample(directory: Path, manifest: Manifest) -> bytes:
    """The start of a few stored dense files, spread over the tree: enough to tell
    compressible content from random data for a fraction of a millisecond per file."""
    files = [e for e in manifest.entries if e.stored and e.kind == FILE and e.extents is None]
    step = max(1, len(files) // _SAMPLE_FILES)
    parts: list[bytes] = []
    for entry in files[::step][:_SAMPLE_FILES]:
        try:
            with _open_unchanged(directory, entry) as opened:
                parts.append(opened.read(_SAMPLE_BYTES))
        except VaultError:
            continue  # it changed: the archive writer will say so when it gets there
    return b"".join(parts)


def _open_unchanged(directory: Path, entry: Entry) -> io.FileIO:
    """Open a scanned file without following links or blocking, and check it is the same."""
    path = directory / entry.path
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise VaultError(
            f"{display_name(path)} changed during the snapshot ({exc.strerror}); try again"
        ) from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_ino != entry.ino or st.st_size != entry.size:
        os.close(fd)
        raise VaultError(f"{display_name(path)} changed during the snapshot; try again")
    return io.FileIO(fd, "rb", closefd=True)
