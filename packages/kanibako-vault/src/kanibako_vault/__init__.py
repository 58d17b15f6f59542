"""A safe, fast snapshot engine for a directory, with its own small CLI (kanibako-vault).

``snapshot(directory, store)`` writes ``<store>/<name>.tar.zst`` (or nothing when the
directory is unchanged since the latest snapshot), ``list_snapshots(store)`` lists
them, ``restore(directory, store, name)`` puts one back all-or-nothing, and
``prune(store, keep)`` deletes all but the newest ``keep``.
"""

from kanibako_vault.__about__ import __version__
from kanibako_vault.errors import (
    CorruptArchiveError,
    UnknownSnapshotError,
    UnsafeArchiveError,
    VaultError,
    VaultUsageError,
)
from kanibako_vault.prune import PruneResult, prune
from kanibako_vault.restore import RestoreResult, restore
from kanibako_vault.snapshot import SnapshotResult, snapshot
from kanibako_vault.store import SnapshotInfo, list_snapshots

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
