"""An exclusive lock held while a shared record file is read, changed and rewritten.

Atomic writes keep a file whole; this keeps two kanibako processes that update
the same registry at once from losing one another's change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def locked(record: Path) -> Iterator[None]:
    """Hold an exclusive lock for ``record`` (on ``.{name}.lock`` beside it)."""
    import fcntl

    record.parent.mkdir(parents=True, exist_ok=True)
    with (record.parent / f".{record.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        yield
