"""How much disk a directory tree takes, with ``os.scandir`` (no ``du``, no ``rglob``).

Sizes are allocated blocks (``st_blocks * 512``), what ``du`` reports and what
deleting would free; a file with several hard links inside one walk counts once.
Symlinks are never followed. A directory that cannot be read is counted as
what could be seen and named in ``unreadable``.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TreeSize:
    """The size of one walk and the directories it could not read."""

    bytes: int = 0
    unreadable: list[str] = field(default_factory=list)


def tree_size(root: Path, *, skip: Collection[str] = ()) -> TreeSize:
    """Disk used by ``root`` (a file or a directory), leaving out its top-level ``skip`` names."""
    result = TreeSize()
    seen: set[tuple[int, int]] = set()
    try:
        info = root.lstat()
    except FileNotFoundError:
        return result
    except OSError:
        result.unreadable.append(str(root))
        return result
    result.bytes += info.st_blocks * 512
    if not root.is_dir() or root.is_symlink():
        return result
    stack = [(os.fspath(root), True)]
    while stack:
        directory, top = stack.pop()
        try:
            entries = os.scandir(directory)
        except OSError:
            result.unreadable.append(directory)
            continue
        with entries:
            for entry in entries:
                if top and entry.name in skip:
                    continue
                try:
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.st_nlink > 1 and not entry.is_dir(follow_symlinks=False):
                    key = (stat.st_dev, stat.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                result.bytes += stat.st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, False))
    return result


def human(size: int) -> str:
    """``size`` bytes for people: 0 B, 12.3 KiB, 4.5 GiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - the loop returns at GiB
