"""Copying a file without filling its holes (``box duplicate``/``migrate`` of a vault).

``shutil.copy2`` writes a sparse file's holes out as zeros: a 2 GiB sparse disk image
holding a few KiB became 2 GiB of real disk in the copy. Here only the data regions
(``SEEK_DATA``/``SEEK_HOLE``) are copied, and the size is set at the end. A file using
as many blocks as its size (almost every file) goes to ``copy2`` unchanged.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat

_CHUNK = 1024 * 1024


def copy_keeping_holes(src: str, dst: str) -> str:
    """``shutil.copy2(src, dst)``, except that holes stay holes; a copytree copy_function."""
    st = os.lstat(src)
    if not stat.S_ISREG(st.st_mode) or st.st_blocks * 512 >= st.st_size:
        return str(shutil.copy2(src, dst, follow_symlinks=False))
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    source = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        target = os.open(dst, flags, 0o600)
        try:
            _copy_data_regions(source, target, st.st_size)
            os.ftruncate(target, st.st_size)
        finally:
            os.close(target)
    finally:
        os.close(source)
    shutil.copystat(src, dst, follow_symlinks=False)
    return dst


def _copy_data_regions(source: int, target: int, size: int) -> None:
    offset = 0
    while offset < size:
        try:
            start = os.lseek(source, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # nothing but a hole from here to the end
                return
            raise
        end = min(os.lseek(source, start, os.SEEK_HOLE), size)
        while start < end:
            chunk = os.pread(source, min(_CHUNK, end - start), start)
            if not chunk:
                return  # the file shrank while copied
            os.pwrite(target, chunk, start)
            start += len(chunk)
        offset = end
