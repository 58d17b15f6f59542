"""Reading a session file only when it is a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kanibako_helpers.errors import HelperError


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``; HelperError when it is not a regular file.

    Opened non-blocking and checked before reading: a FIFO in its place would
    otherwise hang the command. A missing file raises FileNotFoundError.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise HelperError(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return handle.read()
