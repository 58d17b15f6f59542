"""Walking a directory with ``lstat`` only: the cheap half of every snapshot.

Nothing is followed: a symbolic link (to a file or a directory) is recorded as a link.
FIFOs, sockets and device files are skipped (opening a FIFO would block, and devices
have no place in a vault), and so are links that resolve outside the directory, since
a restore would refuse them, and the content of directories we may not read: an
agent must not be able to make every later snapshot (and so every launch) fail.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from kanibako_vault.errors import VaultUsageError
from kanibako_vault.manifest import DIR, FILE, LINK, Entry
from kanibako_vault.safety import escaping_links


@dataclass(frozen=True)
class Scan:
    """A directory's entries (parents before children), its mode, and what was left out.

    ``holey`` names the files using fewer blocks than their size: maybe sparse.
    """

    root_mode: int
    entries: tuple[Entry, ...]
    skipped: tuple[str, ...]
    holey: frozenset[str] = frozenset()


def scan_tree(directory: Path) -> Scan:
    """Record every entry under ``directory`` without reading any file's content."""
    try:
        root = directory.stat()
    except FileNotFoundError:
        raise VaultUsageError(f"directory does not exist: {directory}") from None
    if not stat.S_ISDIR(root.st_mode):
        raise VaultUsageError(f"not a directory: {directory}")
    entries: list[Entry] = []
    skipped: list[str] = []
    holey: set[str] = set()
    _walk(os.fsencode(directory), "", entries, skipped, holey)
    links = {e.path: e.target for e in entries if e.kind == LINK}
    escaping = escaping_links(links)
    if escaping:
        entries = [e for e in entries if e.path not in escaping]
        skipped.extend(sorted(escaping))
    return Scan(stat.S_IMODE(root.st_mode), tuple(entries), tuple(skipped), frozenset(holey))


def _walk(
    base: bytes, prefix: str, entries: list[Entry], skipped: list[str], holey: set[str]
) -> None:
    # Depth-first, sorted by name: parents come before children and output is stable.
    try:
        with os.scandir(base) as it:
            children = sorted(it, key=lambda d: d.name)
    except FileNotFoundError:
        return
    except PermissionError:
        # An agent can chmod 000 a directory; its content is left out, not fatal.
        skipped.append(prefix.rstrip("/") or ".")
        return
    for child in children:
        rel = f"{prefix}{os.fsdecode(child.name)}"
        try:
            st = child.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        except PermissionError:
            skipped.append(rel)
            continue
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            entries.append(_entry(rel, DIR, st, 0))
            _walk(child.path, f"{rel}/", entries, skipped, holey)
        elif stat.S_ISREG(mode):
            entries.append(_entry(rel, FILE, st, st.st_size))
            if st.st_blocks * 512 < st.st_size:
                holey.add(rel)
        elif stat.S_ISLNK(mode):
            try:
                # bytes paths keep names that are not UTF-8 intact (Path cannot).
                target = os.fsdecode(os.readlink(child.path))  # noqa: PTH115
            except (FileNotFoundError, PermissionError):
                continue
            entries.append(_entry(rel, LINK, st, 0, target))
        else:
            skipped.append(rel)


def _entry(path: str, kind: str, st: os.stat_result, size: int, target: str = "") -> Entry:
    return Entry(
        path=path,
        kind=kind,
        size=size,
        mtime_ns=st.st_mtime_ns,
        mode=stat.S_IMODE(st.st_mode),
        ino=st.st_ino,
        ctime_ns=st.st_ctime_ns,
        uid=st.st_uid,
        gid=st.st_gid,
        target=target,
    )
