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
from pathlib import Path

from kanibako_vault.errors import CorruptArchiveError, UnsafeArchiveError
from kanibako_vault.manifest import Manifest, parse_manifest

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


def recall(store: Path, archive: Path, name: str) -> Manifest | None:
    """``archive``'s manifest from the cache, or None if the cache cannot vouch for it."""
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
    try:
        manifest = parse_manifest(data, archive.name)
    except (CorruptArchiveError, UnsafeArchiveError):
        return None
    return manifest if manifest.name == name else None
