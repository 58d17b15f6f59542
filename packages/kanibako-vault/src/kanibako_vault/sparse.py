"""Sparse files: find a file's data extents, read only them, write them back with holes.

``SEEK_DATA``/``SEEK_HOLE`` say where a file's data lies, so a 2 GiB file holding a
few KiB costs a few KiB to snapshot and restore, and restores with its holes. Only a
file using fewer blocks than its size is asked (one ``fstat``), so dense files pay
nothing; a filesystem without hole reporting simply says "all data".
"""

from __future__ import annotations

import errno
import os
from typing import IO

from kanibako_vault.errors import CorruptArchiveError

_CHUNK = 1024 * 1024


def data_extents(fd: int) -> tuple[int, ...] | None:
    """The open file's data as flat (offset, length) pairs, or None when it has no holes."""
    st = os.fstat(fd)
    if st.st_blocks * 512 >= st.st_size:
        return None
    extents: list[int] = []
    offset = 0
    while offset < st.st_size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # only a hole up to the end
                break
            raise
        end = min(os.lseek(fd, start, os.SEEK_HOLE), st.st_size)
        extents += [start, end - start]
        offset = end
    os.lseek(fd, 0, os.SEEK_SET)
    if extents == [0, st.st_size]:
        return None
    return tuple(extents)


class ExtentReader:
    """A file's data extents read back to back, as one stream (what the archive stores)."""

    def __init__(self, fd: int, extents: tuple[int, ...]) -> None:
        self._fd = fd
        self._pending = list(zip(extents[::2], extents[1::2], strict=True))

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left if negative); short only at the end."""
        parts: list[bytes] = []
        wanted = sum(n for _, n in self._pending) if size < 0 else size
        while wanted and self._pending:
            offset, length = self._pending[0]
            data = os.pread(self._fd, min(wanted, length, _CHUNK), offset)
            if not data:
                break  # the file shrank: the archive writer reports it
            parts.append(data)
            wanted -= len(data)
            if len(data) == length:
                self._pending.pop(0)
            else:
                self._pending[0] = (offset + len(data), length - len(data))
        return b"".join(parts)


def write_extents(fd: int, extents: tuple[int, ...], size: int, content: IO[bytes]) -> None:
    """Write ``content`` (the extents back to back) at their offsets; the rest stays holes."""
    for offset, length in zip(extents[::2], extents[1::2], strict=True):
        os.lseek(fd, offset, os.SEEK_SET)
        left = length
        while left:
            chunk = content.read(min(left, _CHUNK))
            if not chunk:
                raise CorruptArchiveError("a sparse file's archive member is shorter than its data")
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
            left -= len(chunk)
    os.ftruncate(fd, size)
