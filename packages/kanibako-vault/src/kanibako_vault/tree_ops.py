"""Creating and removing directory trees for restore, never writing through a link."""

# Paths here are bytes so names that are not UTF-8 survive exactly; pathlib has no bytes.
# ruff: noqa: PTH101, PTH102, PTH211

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from kanibako_vault.manifest import DIR, LINK, Entry, Manifest
from kanibako_vault.sparse import write_extents

_CHUNK = 1024 * 1024


def file_mode(mode: int) -> int:
    """A restored file's mode: no set-id or sticky bits, no group/other write; owner rw."""
    return (mode & 0o755) | 0o600


def dir_mode(mode: int) -> int:
    """A restored directory's mode: like files, and always usable by its owner."""
    return (mode & 0o755) | 0o700


def create_skeleton(root: Path, manifest: Manifest) -> None:
    """Create every directory and link of ``manifest`` under the fresh, private ``root``.

    Directories stay owner-only until ``finish_tree`` so files can be written into them.
    The manifest lists parents first, and a parent is always a directory we made here.
    """
    for entry in manifest.entries:
        target = _path(root, entry)
        if entry.kind == DIR:
            os.mkdir(target, 0o700)
        elif entry.kind == LINK:
            os.symlink(os.fsencode(entry.target), target)


def write_file(root: Path, entry: Entry, content: IO[bytes]) -> None:
    """Create one file (it must not exist yet) with exactly ``entry.size`` bytes."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(_path(root, entry), flags, 0o600)
    try:
        if entry.extents is not None:
            write_extents(fd, entry.extents, entry.size, content)
        while chunk := content.read(_CHUNK):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        os.fchmod(fd, file_mode(entry.mode))
        os.utime(fd, ns=(entry.mtime_ns, entry.mtime_ns))
    finally:
        os.close(fd)


def finish_tree(root: Path, manifest: Manifest) -> None:
    """Give links and directories their times and modes, children before parents."""
    for entry in reversed(manifest.entries):
        target = _path(root, entry)
        times = (entry.mtime_ns, entry.mtime_ns)
        if entry.kind == LINK:
            os.utime(target, ns=times, follow_symlinks=False)
        elif entry.kind == DIR:
            os.chmod(target, dir_mode(entry.mode))
            os.utime(target, ns=times)
    root.chmod(dir_mode(manifest.root_mode))


def _path(root: Path, entry: Entry) -> bytes:
    # bytes keep names that are not UTF-8 exactly as they were.
    return os.fsencode(root) + b"/" + os.fsencode(entry.path)


def remove_tree(path: Path) -> None:
    """Delete a tree even where an agent removed the owner's write or search permission."""

    def unlock_and_retry(func: Callable[..., Any], failed: str, _exc: Any) -> None:
        where = Path(failed)
        where.parent.chmod(stat.S_IRWXU)
        if where.is_dir() and not where.is_symlink():
            where.chmod(stat.S_IRWXU)
            remove_tree(where)
        else:
            func(failed)

    shutil.rmtree(path, onerror=unlock_and_retry)
