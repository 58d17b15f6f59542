"""Progress of long work (snapshot, restore) as bytes of file content done of a total.

The library only counts; the command-line tools decide whether to draw anything
(on a terminal) or stay quiet (when piped).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, cast

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in total) as file content streams through."""


class ByteCounter:
    """Adds up bytes and reports the running total to a ``Progress`` callback."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self._progress = progress

    def add(self, count: int) -> None:
        """Count ``count`` more bytes."""
        self.done += count
        if self._progress is not None:
            self._progress(self.done, self.total)

    def reading(self, raw: IO[bytes]) -> IO[bytes]:
        """``raw`` with every read counted (unchanged when nobody listens)."""
        if self._progress is None:
            return raw
        return cast(IO[bytes], _CountingReader(raw, self))


class _CountingReader:
    def __init__(self, raw: IO[bytes], counter: ByteCounter) -> None:
        self._raw = raw
        self._counter = counter

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._counter.add(len(data))
        return data
