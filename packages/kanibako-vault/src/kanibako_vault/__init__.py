"""A safe, fast snapshot engine for a directory, with its own small CLI (kanibako-vault).

``snapshot(directory, store)`` writes ``<store>/<name>.tar.zst`` (or nothing when the
directory is unchanged since the latest snapshot), ``list_snapshots(store)`` lists
them, ``restore(directory, store, name)`` puts one back all-or-nothing, and
``prune(store, keep)`` deletes all but the newest ``keep``.

The public names are loaded on first use (module ``__getattr__``): a command that
only takes an unchanged snapshot must not pay for importing restore and prune. The
modules behind them are named differently from the functions (``snapshotting``
holds ``snapshot``) so importing one never shadows a function on this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kanibako_vault.__about__ import __version__
from kanibako_vault.errors import (
    CorruptArchiveError,
    UnknownSnapshotError,
    UnsafeArchiveError,
    VaultError,
    VaultUsageError,
)

if TYPE_CHECKING:
    from kanibako_vault.pruning import PruneResult, prune
    from kanibako_vault.restoring import RestoreResult, restore
    from kanibako_vault.snapshotting import SnapshotResult, snapshot
    from kanibako_vault.store import SnapshotInfo, list_snapshots

_LAZY = {
    "PruneResult": "pruning",
    "prune": "pruning",
    "RestoreResult": "restoring",
    "restore": "restoring",
    "SnapshotResult": "snapshotting",
    "snapshot": "snapshotting",
    "SnapshotInfo": "store",
    "list_snapshots": "store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kanibako_vault' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kanibako_vault.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


__all__ = [
    "CorruptArchiveError",
    "PruneResult",
    "RestoreResult",
    "SnapshotInfo",
    "SnapshotResult",
    "UnknownSnapshotError",
    "UnsafeArchiveError",
    "VaultError",
    "VaultUsageError",
    "__version__",
    "list_snapshots",
    "prune",
    "restore",
    "snapshot",
]
