"""The package's one way to read a file that someone else may have planted: regular files only.

Helpers can write into parts of the tree the host reads, so a path may hold a
FIFO (an ``open`` would hang), a device, a directory, or a huge sparse file
(reading it whole would eat the host's memory). Every file is opened
non-blocking and checked with ``fstat`` before a byte is read, and reads are
bounded. A missing file raises ``FileNotFoundError`` everywhere, so each
caller decides what "not there yet" means.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from kanibako_helpers.errors import HelperError

DEFAULT_MAX_BYTES = 1024 * 1024
"""Largest file read whole unless the caller says otherwise (the session files are tiny)."""


def open_regular_file(path: Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of ``path`` opened with ``flags``; HelperError when it is not a regular file.

    ``O_NONBLOCK`` makes opening a FIFO return at once (or fail) instead of
    waiting for its other end; it has no effect on a regular file.
    """
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY, mode)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise HelperError(f"{path}: not a regular file")
    return fd


def open_regular_reader(path: Path) -> BinaryIO:
    """``path`` open for reading (binary), after the regular-file check."""
    return os.fdopen(open_regular_file(path), "rb")


def read_regular_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of ``path``; HelperError when it is not a regular file or over ``max_bytes``."""
    with open_regular_reader(path) as handle:
        if os.fstat(handle.fileno()).st_size > max_bytes:
            raise HelperError(f"{path}: larger than {max_bytes} bytes")
        data = handle.read(max_bytes + 1)  # it may have grown since fstat
    if len(data) > max_bytes:
        raise HelperError(f"{path}: larger than {max_bytes} bytes")
    return data
