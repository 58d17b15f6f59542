"""Read the hub's JSONL message log and show it the way people read a chat.

```
12:35:10  [0 → 1]  Analyze the auth module and report back.
12:37:00  [0 → *]  Starting integration tests.
```
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kanibako_helpers.display_text import display_text
from kanibako_helpers.errors import HelperError
from kanibako_helpers.log_writer import LOG_MAX_BYTES
from kanibako_helpers.regular_file import open_regular_reader, read_regular_file

LOG_READ_LIMIT = 2 * LOG_MAX_BYTES
"""Largest log ``helper log`` reads whole: the hub keeps its log well below this."""


@dataclass(frozen=True)
class LogEntry:
    """One routed message."""

    seq: int
    ts: float
    sender: int
    to: int | str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "from": self.sender,
            "to": self.to,
            "text": self.text,
        }


def parse_entry(line: str | bytes) -> LogEntry | None:
    """One log line as an entry, or None when it is not one (a torn or foreign line)."""
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    seq, ts, sender, to, text = (raw.get(k) for k in ("seq", "ts", "from", "to", "text"))
    if not (
        isinstance(seq, int)
        and isinstance(ts, int | float)
        and isinstance(sender, int)
        and (isinstance(to, int) or to == "*")
        and isinstance(text, str)
    ):
        return None
    return LogEntry(seq=seq, ts=float(ts), sender=sender, to=to, text=text)


def format_entry(entry: LogEntry) -> str:
    """``HH:MM:SS  [from → to]  text`` in local time; ``*`` marks a broadcast.

    The text came from a helper: its control characters are shown escaped,
    so one entry is one line and nothing in it reaches the terminal as a command.
    """
    clock = time.strftime("%H:%M:%S", time.localtime(entry.ts))
    return f"{clock}  [{entry.sender} → {display_text(entry.to)}]  {display_text(entry.text)}"


def _matches(entry: LogEntry, sender: int | None) -> bool:
    return sender is None or entry.sender == sender


def _entries(lines: Iterable[bytes]) -> Iterator[LogEntry]:
    for line in lines:
        entry = parse_entry(line)
        if entry is not None:
            yield entry


def read_log(path: Path, sender: int | None = None, last: int | None = None) -> list[LogEntry]:
    """Entries of the log at ``path`` (none if it does not exist yet), filtered and trimmed."""
    if last is not None and last < 0:
        raise HelperError(f"--last must not be negative: {last}")
    try:
        data = read_regular_file(path, LOG_READ_LIMIT)  # a FIFO must not hang `helper log`
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise HelperError(f"cannot read {path}: {exc.strerror}") from exc
    kept: deque[LogEntry] = deque(maxlen=last)
    kept.extend(e for e in _entries(data.splitlines(keepends=True)) if _matches(e, sender))
    return list(kept)


def follow_log(
    path: Path,
    sender: int | None = None,
    last: int | None = None,
    interval: float = 0.2,
    keep_going: Callable[[], bool] = lambda: True,
) -> Iterator[LogEntry]:
    """The last entries, then each new one as it is appended (like ``tail -f``).

    History and the follow-up are read through one handle, so no entry written
    in between is lost or shown twice.
    """
    if last is not None and last < 0:
        raise HelperError(f"--last must not be negative: {last}")
    handle: IO[bytes] | None = None
    partial = b""
    first = True
    seen = -1  # the last sequence number shown: the hub may shrink the log under us
    try:
        while keep_going():
            if handle is None:
                try:
                    handle = open_regular_reader(path)
                except FileNotFoundError:
                    first = False
                    time.sleep(interval)
                    continue
                except OSError as exc:
                    raise HelperError(f"cannot read {path}: {exc.strerror}") from exc
            if os.fstat(handle.fileno()).st_size < handle.tell():
                handle.seek(0)  # the older half was dropped: read the kept half again
                partial = b""
            chunk = handle.read()
            if not chunk and not first:
                time.sleep(interval)
                continue
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            found = [e for e in _entries(lines) if _matches(e, sender) and e.seq > seen]
            if found:
                seen = found[-1].seq
            if first:
                first = False
                yield from deque(found, maxlen=last)
            else:
                yield from found
    finally:
        if handle is not None:
            handle.close()
