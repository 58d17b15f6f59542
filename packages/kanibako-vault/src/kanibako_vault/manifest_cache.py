"""A copy of the newest archive's manifest beside it: an unchanged snapshot opens no archive.

Checking for change needs only the latest manifest; reading it from the archive costs
importing tarfile and a decompressor, more than the check itself on a small tree.
``.latest-manifest`` holds one JSON line naming the archive file and the lstat facts
it had when written (size, mtime, ctime, inode), then the manifest exactly as stored
in that archive. It is only a cache, written without fsync: missing, torn, too large,
or naming other facts than the archive's now, it is ignored and the archive is read.
Its manifest passes the same checks as one read from an archive.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from kanibako_vault.errors import CorruptArchiveError, UnsafeArchiveError
from kanibako_vault.manifest import Entry, Manifest, parse_manifest

CACHE_NAME = ".latest-manifest"
_MAX_BYTES = 512 * 1024 * 1024  # as for a manifest read from an archive


def _facts(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def remember(store: Path, archive: Path, manifest_bytes: bytes, temp_prefix: str) -> None:
    """Record ``archive``'s manifest (best effort: a failure only costs the next check)."""
    with contextlib.suppress(OSError):
        head = json.dumps({"archive": archive.name, "facts": _facts(archive.lstat())})
        temp = store / f"{temp_prefix}latest-manifest-{os.urandom(4).hex()}"
        temp.write_bytes(head.encode() + b"\n" + manifest_bytes)
        temp.replace(store / CACHE_NAME)


def _cached(store: Path, archive: Path) -> bytes | None:
    """The cached manifest's bytes, if the cache vouches for ``archive`` as it is now."""
    try:
        fd = os.open(store / CACHE_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as cache:
        st = os.fstat(cache.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_BYTES:
            return None
        head, _, data = cache.read().partition(b"\n")
    try:
        meta = json.loads(head)
        now = _facts(archive.lstat())
    except (ValueError, OSError):
        return None
    if (
        not isinstance(meta, dict)
        or meta.get("archive") != archive.name
        or meta.get("facts") != now
    ):
        return None
    return data


def recall(store: Path, archive: Path, name: str) -> Manifest | None:
    """``archive``'s manifest from the cache, or None if the cache cannot vouch for it."""
    data = _cached(store, archive)
    if data is None:
        return None
    try:
        manifest = parse_manifest(data, archive.name)
    except (CorruptArchiveError, UnsafeArchiveError):
        return None
    return manifest if manifest.name == name else None


def cached_matches(
    store: Path, archive: Path, name: str, root_mode: int, scan: Sequence[Entry]
) -> bool:
    """True when the cached manifest of ``archive`` records exactly ``scan``'s lstat facts.

    The unchanged snapshot's fast path: the JSON is compared as it is, without building
    and checking an entry per file (about half of an unchanged snapshot's own work on
    1,000 files, measured). Only a True answer is trusted, and it says no more than the
    full comparison would: the entries ``scan`` holds are well-formed by construction.
    False (or any doubt) leaves the decision to the full comparison.
    """
    data = _cached(store, archive)
    if data is None:
        return False
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    if not isinstance(doc, dict) or doc.get("name") != name or doc.get("root_mode") != root_mode:
        return False
    raw = doc.get("entries")
    if not isinstance(raw, list) or len(raw) != len(scan):
        return False
    # FIELDS order: path, kind, size, mtime_ns, mode, ino, ctime_ns, uid, gid, target.
    return all(
        isinstance(item, list)
        and len(item) >= 10
        and item[0] == e.path
        and item[1] == e.kind
        and item[2] == e.size
        and item[3] == e.mtime_ns
        and item[4] == e.mode
        and item[5] == e.ino
        and item[6] == e.ctime_ns
        and item[9] == e.target
        for item, e in zip(raw, scan, strict=True)
    )
