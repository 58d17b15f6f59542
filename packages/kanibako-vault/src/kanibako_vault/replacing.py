"""Swapping a restored tree in at once, and making it durable off the caller's path.

A restore swaps its built tree in by two renames and parks the tree it replaces
beside it as ``.NAME.unsynced-BOOT-RAND``, where BOOT is the id of the running
kernel's boot. Only after one ``syncfs`` has put the restored tree on disk is the
parked tree renamed ``.NAME.old-RAND`` (done with) and deleted; the syncfs and the
deletion can run after the command returns (see ``restore``'s ``detach_cleanup``).
Until then the replaced tree stays whole, and the next vault operation on the
directory (under the store's lock) settles what it finds:

- an unsynced tree from this boot: the process that parked it died, but nothing it
  wrote can have been lost (the page cache still holds it), so sync and go on;
- an unsynced tree from another boot: the machine went down before the restored
  tree was on disk, so it may be incomplete. The parked tree, complete, is put back
  (the snapshot that was being restored is still in the store, to restore again).

Without a boot id (no ``/proc``), the tree is synced before the swap, as it is
when there is no tree to replace: then nothing can be put back, so nothing may be
swapped in before it is on disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from kanibako_vault.store import fsync_dir, sync_filesystem

_BOOT_ID = "/proc/sys/kernel/random/boot_id"
UNSYNCED = "unsynced"
DONE_WITH = "old"


def current_boot() -> str | None:
    """The running kernel's boot id as 32 hex digits, or None where it cannot be read."""
    try:
        boot = Path(_BOOT_ID).read_text(encoding="ascii").strip().replace("-", "")
    except (OSError, UnicodeDecodeError):
        return None
    return boot if len(boot) == 32 and all(c in "0123456789abcdef" for c in boot) else None


def parked_name(directory: Path, state: str, boot: str | None = None) -> Path:
    """A fresh hidden name beside ``directory`` for a tree in ``state`` (unsynced or old)."""
    tag = f"{boot}-" if boot is not None else ""
    return directory.parent / f".{directory.name}.{state}-{tag}{os.urandom(4).hex()}"


def parked_trees(directory: Path, state: str) -> list[Path]:
    """The trees parked beside ``directory`` in ``state``, oldest name first."""
    return sorted(directory.parent.glob(f".{directory.name}.{state}-*"))


def swap_in(built: Path, directory: Path) -> Path | None:
    """Put ``built`` in place of ``directory``; the parked replaced tree, if there was one."""
    parent = directory.parent
    boot = current_boot()
    if not os.path.lexists(directory) or boot is None:
        sync_filesystem(built)  # nothing to fall back on: durable before it is visible
    if not os.path.lexists(directory):
        built.rename(directory)
        fsync_dir(parent)
        return None
    parked = parked_name(directory, DONE_WITH if boot is None else UNSYNCED, boot)
    directory.rename(parked)
    try:
        built.rename(directory)
    except BaseException:
        parked.rename(directory)
        raise
    if boot is None:
        fsync_dir(parent)
    return parked


def settle(parked: Path, directory: Path) -> Path:
    """Make the tree that replaced ``parked`` durable; ``parked``'s done-with name."""
    if not parked.name.startswith(f".{directory.name}.{UNSYNCED}-"):
        return parked
    sync_filesystem(directory)
    done = parked_name(directory, DONE_WITH)
    parked.rename(done)
    fsync_dir(directory.parent)
    return done


def recover_unsynced(parked: Path, directory: Path) -> None:
    """After a restore that did not get to settle: settle it, or undo it (see above)."""
    if not os.path.lexists(directory):
        # Killed between the two renames of the swap: nothing was replaced yet.
        parked.rename(directory)
        fsync_dir(directory.parent)
        return
    boot = parked.name.removeprefix(f".{directory.name}.{UNSYNCED}-").partition("-")[0]
    if boot == current_boot():
        settle(parked, directory)
        return
    # Another boot: the restored tree may be incomplete. Once it is named done-with,
    # a crash before the second rename leaves the directory missing and this tree
    # unsynced, which the first case above puts back.
    directory.rename(parked_name(directory, DONE_WITH))
    parked.rename(directory)
    fsync_dir(directory.parent)
