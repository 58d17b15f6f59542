"""Decompressing ahead of the reader, on a second core.

One zstd frame decodes on one thread only, but it need not wait while the reader
checks members and writes files: a thread decodes the next chunks meanwhile (the
binding releases the GIL while it decodes; so does every ``os.write``). Measured on
100 MiB restored from 1,000 files, decoding is about a fifth of the work.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from types import TracebackType
from typing import IO, Self

_CHUNK = 1024 * 1024
_AHEAD = 8  # chunks decoded and not yet read: bounds the memory used to 8 MiB


class ReadAhead:
    """``source`` read by a thread ``_CHUNK`` at a time; ``read`` hands the bytes on in order.

    Use as a context manager: leaving it stops and joins the thread (a restore forks
    its detached process only where no other thread runs). An error the thread met
    is raised by the ``read`` that reaches it.
    """

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._chunks: queue.Queue[bytes | BaseException] = queue.Queue(_AHEAD)
        self._stop = threading.Event()
        self._current = memoryview(b"")
        self._ended = False
        self._thread = threading.Thread(target=self._decode, name="vault-read-ahead", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Empty):  # room for a thread waiting to put
            while True:
                self._chunks.get_nowait()
        self._thread.join()

    def _decode(self) -> None:
        try:
            while not self._stop.is_set():
                chunk = self._source.read(_CHUNK)
                self._put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # handed to the reader, which raises it
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (short only at the end of the stream)."""
        parts: list[bytes] = []
        wanted = size if size >= 0 else None
        while wanted is None or wanted > 0:
            if not self._current:
                if self._ended:
                    break
                item = self._chunks.get()
                if isinstance(item, BaseException):
                    self._ended = True
                    raise item
                if not item:
                    self._ended = True
                    break
                self._current = memoryview(item)
            take = len(self._current) if wanted is None else min(wanted, len(self._current))
            parts.append(bytes(self._current[:take]))
            self._current = self._current[take:]
            if wanted is not None:
                wanted -= take
        return b"".join(parts)
