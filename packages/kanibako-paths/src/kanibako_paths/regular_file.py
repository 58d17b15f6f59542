"""Reading a config or env file only when it is a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kanibako_paths.errors import KanibakoPathsError


def read_regular_file(path: Path, error: type[KanibakoPathsError]) -> bytes | None:
    """The bytes of ``path``; None when it does not exist; ``error`` when it is not a file.

    Opened non-blocking and checked before reading: a FIFO would otherwise
    hang every command, and a directory would surface as a bare OS error.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise error(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return handle.read()
