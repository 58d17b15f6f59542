"""How snapshots are shown: a table for people, JSON for scripts (both CLIs use these)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from kanibako_vault.display import display_name

if TYPE_CHECKING:  # types only: a snapshot's message must not import restore and prune
    from kanibako_vault.pruning import PruneResult
    from kanibako_vault.restoring import RestoreResult
    from kanibako_vault.snapshotting import SnapshotResult
    from kanibako_vault.store import SnapshotInfo

_HEADERS = ("NAME", "TIME", "SIZE", "FILES", "KIND")


def human_size(size: int) -> str:
    """Bytes in binary units, one decimal above KiB (``1.5 MiB``)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _kind(info: SnapshotInfo) -> str:
    if info.problem is not None:
        return "damaged"
    return "full" if info.parent is None else "incremental"


def snapshot_table(infos: list[SnapshotInfo]) -> str:
    """The listing as aligned columns (name, local time, size, files, kind)."""
    rows = [
        (
            i.name,
            i.created.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            human_size(i.size),
            "?" if i.files is None else str(i.files),
            _kind(i),
        )
        for i in infos
    ]
    widths = [max(len(r[c]) for r in [_HEADERS, *rows]) for c in range(len(_HEADERS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [_HEADERS, *rows]
    )


def snapshot_json(infos: list[SnapshotInfo]) -> list[dict[str, Any]]:
    """The listing as JSON-ready dictionaries."""
    return [
        {
            "name": i.name,
            "time": i.created.isoformat(),
            "size": i.size,
            "files": i.files,
            "kind": _kind(i),
            "parent": i.parent,
            "problem": i.problem,
        }
        for i in infos
    ]


def snapshot_message(result: SnapshotResult) -> str:
    """One line saying what ``snapshot`` did."""
    if result.snapshot is None:
        return f"Unchanged since snapshot {result.unchanged_since}; no new snapshot needed."
    info = result.snapshot
    return f"Created snapshot {info.name} ({_kind(info)}, {info.files} files, {human_size(info.size)})."


def restore_message(result: RestoreResult) -> str:
    """One line saying what ``restore`` did (and where the replaced state went)."""
    before = f"; the previous state is snapshot {result.before}" if result.before else ""
    return f"Restored snapshot {result.restored}{before}."


def prune_message(result: PruneResult) -> str:
    """One line saying what ``prune`` did."""
    rebased = len(result.rebased)
    made = f" ({rebased} kept snapshot(s) made self-contained)" if rebased else ""
    return f"Deleted {len(result.deleted)} snapshot(s){made}."


def skipped_message(result: SnapshotResult) -> str | None:
    """A warning line listing what the snapshot left out, if anything."""
    if not result.skipped:
        return None
    # The agent chose these names: escaped, so the warning stays one line of plain text.
    shown = ", ".join(display_name(name) for name in result.skipped[:5]) + (
        ", ..." if len(result.skipped) > 5 else ""
    )
    return (
        f"left out {len(result.skipped)} entries (special files, unreadable files "
        f"or links pointing outside): {shown}"
    )


class TerminalProgress:
    """A live ``label 42% (1.2 of 3.0 MiB)`` line, redrawn at most ten times a second.

    Nothing is drawn for work that ends within ``delay`` seconds: a line flashing by
    tells nothing.
    """

    def __init__(self, label: str, stream: TextIO, delay: float = 1.0) -> None:
        self.label = label
        self.stream = stream
        self._drawn_at = 0.0
        self._drawn = False
        self._quiet_until = time.monotonic() + delay

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now < self._quiet_until or (now - self._drawn_at < 0.1 and done < total):
            return
        self._drawn_at = now
        percent = 100 * done // total if total else 100
        line = f"{self.label} {percent}% ({human_size(done)} of {human_size(total)})"
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the live line, leaving the terminal as it was."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def terminal_progress(label: str, stream: TextIO | None = None) -> TerminalProgress | None:
    """A progress line on ``stream`` (stderr) when it is a terminal; None when piped."""
    out = stream or sys.stderr
    return TerminalProgress(label, out) if out.isatty() else None


@contextmanager
def progress_line(label: str) -> Iterator[TerminalProgress | None]:
    """``terminal_progress`` whose line is erased when the work ends, however it ends."""
    shown = terminal_progress(label)
    try:
        yield shown
    finally:
        if shown is not None:
            shown.close()
