"""Appending routed messages to the hub's JSONL log, bounded, and where its numbering left off.

The log is capped: when it grows past ``max_bytes`` its older half is
dropped in place (the newest entries kept, cut at a line boundary). In place,
not by renaming, because the file itself is bind-mounted read-only into the
director's container: a renamed log would leave the director reading the old
file for the rest of the session. Readers that follow the log notice it
shrink and go on after the last sequence number they saw.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kanibako_helpers.errors import HelperError
from kanibako_helpers.protocol import MAX_LINE
from kanibako_helpers.regular_file import open_regular_file, open_regular_reader

LOG_MAX_BYTES = 32 * 1024 * 1024
"""Default cap of a session's message log; about half of it is kept when it is reached."""


class MessageLog:
    """The JSONL log, appended with one write per batch of routed messages."""

    def __init__(self, path: Path, max_bytes: int = LOG_MAX_BYTES) -> None:
        # A FIFO or a directory planted at the log's place is refused, never waited on.
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
        self.fd = open_regular_file(path, flags, 0o644)
        self.max_bytes = max_bytes
        self.size = os.fstat(self.fd).st_size
        self.pending: list[bytes] = []
        if self.size > max_bytes:  # a log from before the cap, or a lower cap
            self._drop_older_half()

    def add(self, line: bytes) -> None:
        self.pending.append(line)

    def flush(self) -> bool:
        """Write what was added; False (and nothing kept) when the disk refuses."""
        if not self.pending:
            return True
        data = memoryview(b"".join(self.pending))
        self.pending.clear()
        try:
            while data:
                written = os.write(self.fd, data)
                self.size += written
                data = data[written:]
            if self.size > self.max_bytes:
                self._drop_older_half()
        except OSError:
            return False
        return True

    def _drop_older_half(self) -> None:
        """Keep the newest half (whole lines) at the start of the same file."""
        size = os.fstat(self.fd).st_size
        keep = self.max_bytes // 2
        tail = os.pread(self.fd, keep, max(0, size - keep))
        if size > keep:
            tail = tail[tail.find(b"\n") + 1 :]  # the first line kept is a whole one
        os.ftruncate(self.fd, 0)
        view = memoryview(tail)
        while view:  # O_APPEND: written from the new end, which is 0
            view = view[os.write(self.fd, view) :]
        self.size = len(tail)

    def close(self) -> None:
        self.flush()
        os.close(self.fd)


def last_seq(log_path: Path) -> int:
    """The sequence number of the log's last entry, so numbering continues across sessions."""
    try:
        with open_regular_reader(log_path) as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - 2 * MAX_LINE))
            tail = handle.read().splitlines()
    except (OSError, HelperError):
        return 0
    for raw in reversed(tail):
        try:
            seq = json.loads(raw).get("seq")
        except (ValueError, AttributeError):
            continue
        if isinstance(seq, int):
            return seq
    return 0
