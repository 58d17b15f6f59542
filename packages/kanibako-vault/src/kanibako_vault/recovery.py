"""Cleaning up after a restore that was killed midway (see restore and replacing)."""

from __future__ import annotations

import os
from pathlib import Path


def recover_interrupted_restore(directory: Path) -> None:
    """Undo or finish what a restore killed midway left beside ``directory``.

    A half-built ``.NAME.restore-*`` tree is deleted. A replaced tree still parked as
    ``.NAME.unsynced-*`` is settled or put back (see ``replacing``). If the kill fell
    between the two renames of a swap by an older version (``directory`` gone, its
    old tree parked as ``.NAME.old-*``), the old tree is put back; once ``directory``
    exists, trees parked as ``.NAME.old-*`` are done with and deleted (the restore
    that parked them had snapshotted them first).
    """
    parent = directory.parent
    if not parent.is_dir():
        return
    prefix = f".{directory.name}."
    with os.scandir(parent) as entries:  # one directory read where nothing was left
        if not any(entry.name.startswith(prefix) for entry in entries):
            return
    from kanibako_vault.replacing import DONE_WITH, UNSYNCED, parked_trees, recover_unsynced
    from kanibako_vault.tree_ops import remove_tree  # only after a killed restore

    for leftover in parent.glob(f"{prefix}restore-*"):
        remove_tree(leftover)
    for unsynced in parked_trees(directory, UNSYNCED):
        recover_unsynced(unsynced, directory)
    parked = parked_trees(directory, DONE_WITH)
    if parked and not os.path.lexists(directory):
        parked.pop().rename(directory)
    for leftover in parked:
        remove_tree(leftover)
