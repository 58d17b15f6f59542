"""The engine's stderr shown as it comes, with its tail kept to name a failure afterwards."""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from typing import IO


class StderrTail:
    """Copies a child's stderr to ours as it comes and keeps its last bytes."""

    KEEP = 8192

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._kept = bytearray()
        self._thread = threading.Thread(target=self._pump, name="engine-stderr", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        fd = self._stream.fileno()
        while chunk := os.read(fd, 65536):
            with suppress(OSError):
                os.write(2, chunk)
            self._kept += chunk
            del self._kept[: -self.KEEP]
        self._stream.close()

    def join(self) -> None:
        # A process the engine left holding the pipe must not hold the session up.
        self._thread.join(timeout=2)

    def text(self) -> str:
        return bytes(self._kept).decode("utf-8", "replace")
