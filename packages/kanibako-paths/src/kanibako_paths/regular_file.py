"""Reading a config, env or shell file only when it is a regular file.

The one reader of kanibako_paths. One behaviour: a missing file raises
FileNotFoundError (as every other open does), so each caller says what a
missing file means to it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kanibako_paths.errors import KanibakoPathsError


def read_regular_file(
    path: Path, error: type[KanibakoPathsError], *, follow_symlinks: bool = True
) -> bytes:
    """The bytes of ``path``; ``error`` when it is not a regular file.

    Opened non-blocking and checked before reading: a FIFO would otherwise
    hang every command, and a directory would surface as a bare OS error.
    ``follow_symlinks=False`` refuses a symlink in the last component (an
    OSError): for files in the agent's reach, where a planted link would make
    the host read any file the user can read.
    """
    return read_regular_file_mode(path, error, follow_symlinks=follow_symlinks)[0]


def read_regular_file_mode(
    path: Path, error: type[KanibakoPathsError], *, follow_symlinks: bool = True
) -> tuple[bytes, int]:
    """Like :func:`read_regular_file`, with the file's permission bits."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    fd = os.open(path, flags)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)  # before fdopen: it refuses a directory with a bare OSError
        raise error(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return handle.read(), info.st_mode & 0o7777
