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


def remove_tree_detached(path: Path, lock_fd: int) -> bool:
    """Delete ``path`` in a detached process that holds the store's lock until done.

    A restore's caller then waits only for the new tree, not for deleting the old one
    (about as long as writing it); the next vault operation on the store waits for the
    lock, so it never meets a half-deleted tree, and if the deletion dies, that
    operation deletes the leftover (see recovery). False, and nothing started, where
    a fork is not safe (other threads running): the caller deletes it itself.
    """
    import threading

    if threading.active_count() > 1:
        return False
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child, which only forks again
        try:
            if os.fork() == 0:
                _remove_as_daemon(path, lock_fd)
        finally:
            os._exit(0)
    os.waitpid(child, 0)  # the grandchild is adopted by init: no zombie left behind
    return True


def _remove_as_daemon(path: Path, lock_fd: int) -> None:  # pragma: no cover - a grandchild
    try:
        os.setsid()
        # Keep only the lock: an inherited pipe (the caller's captured stdout) would
        # otherwise stay open, and whoever reads it would wait for this deletion.
        null = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        os.closerange(3, lock_fd)
        os.closerange(lock_fd + 1, os.sysconf("SC_OPEN_MAX"))
        remove_tree(path)
    finally:
        os._exit(0)
