"""Appending routed messages to the hub's JSONL log, and where its numbering left off."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kanibako_helpers.protocol import MAX_LINE


class MessageLog:
    """The JSONL log, appended with one write per batch of routed messages."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.pending: list[bytes] = []

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
                data = data[os.write(self.fd, data) :]
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.flush()
        os.close(self.fd)


def last_seq(log_path: Path) -> int:
    """The sequence number of the log's last entry, so numbering continues across sessions."""
    try:
        with log_path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - 2 * MAX_LINE))
            tail = handle.read().splitlines()
    except OSError:
        return 0
    for raw in reversed(tail):
        try:
            seq = json.loads(raw).get("seq")
        except (ValueError, AttributeError):
            continue
        if isinstance(seq, int):
            return seq
    return 0
