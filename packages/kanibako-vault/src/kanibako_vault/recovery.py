"""Cleaning up after a restore that was killed midway (see restore's swap)."""

from __future__ import annotations

import os
from pathlib import Path


def recover_interrupted_restore(directory: Path) -> None:
    """Undo what a restore killed midway left beside ``directory``.

    A half-built ``.NAME.restore-*`` tree is deleted. If the kill fell between the two
    renames of the swap (``directory`` gone, its old tree parked as ``.NAME.old-*``),
    the old tree is put back; once ``directory`` exists, parked old trees are deleted
    (the restore that parked them had snapshotted them first).
    """
    parent = directory.parent
    if not parent.is_dir():
        return
    building = list(parent.glob(f".{directory.name}.restore-*"))
    parked = sorted(parent.glob(f".{directory.name}.old-*"))
    if not building and not parked:
        return
    from kanibako_vault.tree_ops import remove_tree  # only after a killed restore

    for leftover in building:
        remove_tree(leftover)
    if parked and not os.path.lexists(directory):
        parked.pop().rename(directory)
    for leftover in parked:
        remove_tree(leftover)
