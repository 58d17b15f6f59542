"""Finding a snapshot's file contents through its chain of parents.

An incremental archive stores only the entries that changed since its parent; an
entry it does not store has the same content as in the parent, and so on back to a
self-contained (full) snapshot. For each file of the requested snapshot, the content
comes from the nearest archive in the chain that stores it. Every link of the chain
is checked: parents must be older, present, and describe the same file (kind, size).
"""

from __future__ import annotations

from pathlib import Path

from kanibako_vault.archive_read import FileSink, read_files, read_manifest
from kanibako_vault.errors import CorruptArchiveError
from kanibako_vault.manifest import FILE, Manifest
from kanibako_vault.store import archive_path


def plan_chain(store: Path, name: str) -> tuple[Manifest, list[tuple[Path, Manifest, set[str]]]]:
    """The snapshot's manifest, and for each archive of its chain the files to take from it."""
    target = read_manifest(archive_path(store, name))
    pending = {e.path: e for e in target.entries if e.kind == FILE}
    plan: list[tuple[Path, Manifest, set[str]]] = []
    current = target
    while True:
        here = {e.path: e for e in current.entries}
        taken: set[str] = set()
        for path, wanted in pending.items():
            found = here.get(path)
            if found is None or not found.same_content_shape(wanted):
                raise CorruptArchiveError(
                    f"snapshot {name}: its chain disagrees at {current.name} about {path!r}"
                )
            if found.stored:
                taken.add(path)
        for path in taken:
            del pending[path]
        plan.append((archive_path(store, current.name), current, taken))
        if not pending:
            return target, plan
        if current.parent is None:
            raise CorruptArchiveError(
                f"snapshot {name}: no archive in its chain stores {min(pending)!r}"
            )
        parent = archive_path(store, current.parent)
        if not parent.exists():
            raise CorruptArchiveError(
                f"snapshot {name} needs snapshot {current.parent}, which is missing"
            )
        current = read_manifest(parent)


def copy_files(
    target: Manifest, plan: list[tuple[Path, Manifest, set[str]]], sink: FileSink
) -> None:
    """Call ``sink(entry, content)`` once for every file of ``target``, following ``plan``."""
    for path, manifest, wanted in plan:
        # The snapshot's own archive is always read whole, so any bad member in it is
        # refused; an older archive with nothing to give is not opened.
        if wanted or manifest is target:
            read_files(path, manifest, wanted, sink)
