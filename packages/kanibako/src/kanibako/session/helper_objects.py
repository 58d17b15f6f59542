"""A helper clone's objects: hardlinked from the user's repository, yet never writable through it.

``git clone --local`` hardlinks every file under ``.git/objects``: the clone's
pack is the same inode as the user's. A helper owns the files it sees (root
in its container is the user), so ``chmod u+w`` and a write would change the
user's repository. Hence:

- packs (the bulk of a history) stay hardlinked, and the clone's
  ``objects/pack`` is mounted read-only in the helper's container; the helper
  writes new objects loose (its config turns automatic gc off, since a repack
  would fail there);
- every other shared file (loose objects, ``info/commit-graph`` and the
  like: few and small) is copied, so the helper's copy is its own.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

PACK = "pack"


def protected_pack_dir(git_dir: Path) -> Path:
    """``<git_dir>/objects/pack`` as a real directory (the read-only mount's source).

    A helper may have replaced ``objects`` or ``pack`` with a link in an earlier
    session: mounting through it would show the helper whatever it points at,
    so such a link is removed and an empty directory made (the helper's own
    clone loses what it broke, nothing else).
    """
    objects = git_dir / "objects"
    for path in (objects, objects / PACK):
        try:
            info = path.lstat()
        except FileNotFoundError:
            path.mkdir()
            continue
        if not stat.S_ISDIR(info.st_mode):
            path.unlink()
            path.mkdir()
    return objects / PACK


def unshare_loose_files(objects: Path) -> None:
    """Copy every file under ``objects`` but its packs that shares its inode with another."""
    for dirpath, dirnames, filenames in os.walk(objects):
        if Path(dirpath) == objects and PACK in dirnames:
            dirnames.remove(PACK)
        for name in filenames:
            path = Path(dirpath, name)
            if path.lstat().st_nlink > 1:
                _copy_over(path)


def _copy_over(path: Path) -> None:
    staged = path.with_name(f".{path.name}.kanibako-copy")
    shutil.copy2(path, staged, follow_symlinks=False)
    staged.replace(path)  # the link to the user's file is dropped, not written through


def move_objects_in(staged: Path, objects: Path) -> None:
    """Move a staged clone's ``objects`` into ``objects`` keeping its ``pack`` directory.

    The pack directory is the source of a read-only mount that may already
    be bound in the helper's container: its packs are moved into it, so the
    container sees them under that mount.
    """
    pack = protected_pack_dir(objects.parent)
    for source in sorted(staged.iterdir()):
        if source.name == PACK:
            for packed in sorted(source.iterdir()):
                packed.replace(pack / packed.name)
            continue
        target = objects / source.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        source.rename(target)
