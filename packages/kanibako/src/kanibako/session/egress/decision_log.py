"""The decision log: one JSON line per (destination, verdict, helper) with count and times.

Kept under the project's metadata (out of the container's reach) as
``egress-log.jsonl``. The proxy aggregates in memory and rewrites the file
atomically at most twice a second, so ``net log --follow`` sees a request
within a second and a flood of requests costs one write per half second.
The number of distinct rows is capped: a hostile agent inventing names cannot
grow the host's memory or disk without bound (the excess is counted on one row).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

LOG_NAME = "egress-log.jsonl"
MAX_ROWS = 5000
OVERFLOW = "(other destinations)"


@dataclass
class LogRow:
    """One destination's record for one verdict and one helper (0: the director)."""

    destination: str
    verdict: str
    helper: int
    count: int
    first: float
    last: float
    reason: str = ""


def read_log(path: Path) -> list[LogRow]:
    """The rows of ``path``, oldest first by last time; broken lines are skipped."""
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    for line in text.splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            data = json.loads(line)
            rows.append(
                LogRow(
                    destination=str(data["destination"]),
                    verdict=str(data["verdict"]),
                    helper=int(data["helper"]),
                    count=int(data["count"]),
                    first=float(data["first"]),
                    last=float(data["last"]),
                    reason=str(data.get("reason", "")),
                )
            )
    return sorted(rows, key=lambda r: r.last)


class DecisionLog:
    """The session's aggregate, seeded from the file so counts run across sessions."""

    def __init__(self, path: Path, *, interval: float = 0.5) -> None:
        self.path = path
        self._rows = {(r.destination, r.verdict, r.helper): r for r in read_log(path)}
        self._session_denied: dict[str, None] = {}
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        self._closed = threading.Event()
        self._interval = interval
        self._writer = threading.Thread(target=self._write_loop, name="egress-log", daemon=True)
        self._writer.start()

    def record(self, destination: str, verdict: str, helper: int, reason: str = "") -> None:
        now = time.time()
        with self._lock:
            key = (destination, verdict, helper)
            if key not in self._rows and len(self._rows) >= MAX_ROWS:
                key = (OVERFLOW, verdict, helper)
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = LogRow(key[0], verdict, helper, 0, now, now, reason)
            row.count += 1
            row.last = now
            row.reason = reason or row.reason
            if verdict == "deny" and len(self._session_denied) < 50:
                self._session_denied[destination] = None
        self._dirty.set()

    def denied_this_session(self) -> list[str]:
        """Destinations denied since this session started, first seen first (at most 50)."""
        with self._lock:
            return list(self._session_denied)

    def close(self) -> None:
        """Stop the writer and write the last state."""
        self._closed.set()
        self._dirty.set()
        self._writer.join(timeout=5)
        self._flush()

    def _write_loop(self) -> None:
        while not self._closed.is_set():
            self._dirty.wait()
            if self._closed.is_set():
                return
            self._dirty.clear()
            with contextlib.suppress(OSError):
                self._flush()
            self._closed.wait(self._interval)

    def _flush(self) -> None:
        with self._lock:
            lines = [json.dumps(asdict(r), sort_keys=True) for r in self._rows.values()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in lines))
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
