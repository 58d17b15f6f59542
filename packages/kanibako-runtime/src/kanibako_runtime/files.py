"""The runtime's one regular-file reader and one atomic writer (small caches and records).

kanibako_runtime imports no sibling package (the drawn graph), so it keeps
this tiny copy of what kanibako_paths does for config files. Same behaviour:
a missing file raises FileNotFoundError, anything but a regular file raises
:class:`NotRegularFileError` (an OSError, so "no answer" callers catch both
with one clause). No ``tempfile``: its import would cost more than the write.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


class NotRegularFileError(OSError):
    """The path exists but is a FIFO, directory, device or socket."""


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``, opened non-blocking so a FIFO in its place cannot hang us."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)  # before fdopen: it refuses a directory with a bare OSError
        raise NotRegularFileError(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a fsynced file beside it, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
