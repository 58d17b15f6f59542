"""This package's one file reader and one atomic writer: no links, regular files, bounded.

The project's home is writable by the container, and the agent in it is not
trusted: it could replace ``.claude/.credentials.json`` (or ``.claude`` itself)
with a link to some other host file, hoping that Kanibako reads it out or
overwrites it, or with a FIFO or a huge sparse file, hoping that the launch
hangs or runs out of memory. So every path component below a trusted root is
opened with ``O_NOFOLLOW`` relative to its parent's descriptor, the file must
be a regular file of at most ``MAX_FILE_BYTES`` (opened non-blocking, so a FIFO
is refused at once), and writes go to a fresh temporary file that is renamed
over the name (a rename replaces a link, never writes through it). Anything
else raises ``FileRefusedError`` naming the path; a missing file reads as None.

Every reader and writer in kanibako-targets goes through ``read_beneath`` and
``write_beneath`` (``read_host_file``/``write_host_file`` are the same with the
file's own directory as the root), so they all behave alike.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from kanibako_targets.errors import FileRefusedError, SymlinkRefusedError

# Credentials and agent configs are small; a planted multi-gigabyte file must
# not be read whole.
MAX_FILE_BYTES = 4 * 1024 * 1024

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _parts(relative: str) -> list[str]:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise FileRefusedError(f"not a path inside its root: {relative!r}")
    return list(pure.parts)


def _refuse_link(where: Path) -> SymlinkRefusedError:
    return SymlinkRefusedError(
        f"refusing to follow a symbolic link at {where} "
        "(it may have been planted from inside the container); remove it and retry"
    )


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _directory(root: Path, parts: list[str], *, create: bool) -> Iterator[int | None]:
    """A descriptor for ``root/parts...`` reached without following links below root.

    Yields None when a component is missing and ``create`` is false.
    """
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        if create:
            raise
        yield None
        return
    try:
        where = root
        for part in parts:
            where = where / part
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    yield None
                    return
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o700, dir_fd=fd)
                child = _open_subdir(part, fd, where)
            except OSError as exc:
                raise _not_a_directory(exc, part, fd, where) from exc
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _open_subdir(part: str, fd: int, where: Path) -> int:
    try:
        return os.open(part, _DIR_FLAGS, dir_fd=fd)
    except OSError as exc:
        raise _not_a_directory(exc, part, fd, where) from exc


def _not_a_directory(exc: OSError, part: str, fd: int, where: Path) -> FileRefusedError:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
        return _refuse_link(where)
    if exc.errno == errno.ENOTDIR:
        return FileRefusedError(f"{where}: not a directory")
    return FileRefusedError(f"{where}: cannot open: {exc.strerror}")


def read_beneath(root: Path, relative: str) -> bytes | None:
    """The bytes of ``root/relative``, or None if it does not exist.

    ``root`` itself is trusted (it may be reached through links); nothing
    below it may be a link, and the file must be a regular file.
    """
    *dirs, name = _parts(relative)
    where = root.joinpath(*dirs, name)
    with _directory(root, dirs, create=False) as fd:
        if fd is None:
            return None
        try:
            # O_NONBLOCK: a planted FIFO must not hang the launch.
            file_fd = os.open(
                name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=fd
            )
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _refuse_link(where) from exc
            raise FileRefusedError(f"{where}: cannot read: {exc.strerror}") from exc
        # Checked before wrapping: Python refuses to wrap a directory's descriptor.
        if not stat.S_ISREG(os.fstat(file_fd).st_mode):
            os.close(file_fd)
            raise FileRefusedError(f"{where}: not a regular file")
        with os.fdopen(file_fd, "rb") as handle:
            try:
                data = handle.read(MAX_FILE_BYTES + 1)
            except OSError as exc:
                raise FileRefusedError(f"{where}: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise FileRefusedError(f"{where}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    return data


def write_beneath(root: Path, relative: str, data: bytes, *, mode: int = 0o600) -> None:
    """Atomically replace ``root/relative`` with ``data`` (temp file + fsync + rename).

    Missing directories below ``root`` are created (mode 0700). An existing
    link at the name, or at any directory on the way, is refused.
    """
    *dirs, name = _parts(relative)
    where = root.joinpath(*dirs, name)
    with _directory(root, dirs, create=True) as fd:
        if fd is None:  # unreachable: create=True never yields None
            raise FileRefusedError(f"{where.parent}: cannot create")
        if _is_link(name, fd):
            raise _refuse_link(where)
        temp = f".{name}.{os.urandom(6).hex()}.tmp"
        try:
            temp_fd = os.open(
                temp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                mode,
                dir_fd=fd,
            )
        except OSError as exc:
            raise FileRefusedError(f"{where}: cannot write: {exc.strerror}") from exc
        try:
            with os.fdopen(temp_fd, "wb") as handle:
                os.fchmod(handle.fileno(), mode)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=fd)
            if isinstance(exc, IsADirectoryError):  # a directory planted at the name
                raise FileRefusedError(f"{where}: not a regular file") from exc
            raise
        os.fsync(fd)


def set_aside(root: Path, relative: str) -> Path | None:
    """Move ``root/relative`` (whatever it is: file, link, FIFO, directory) out of the way.

    It is renamed, never opened or followed, to ``NAME.rejected`` beside it
    (or a unique ``NAME.rejected-XXXX`` when that name is taken by a
    directory). Returns the new path; None when there was nothing to move.
    A link on the way to it raises ``FileRefusedError``.
    """
    *dirs, name = _parts(relative)
    with _directory(root, dirs, create=False) as fd:
        if fd is None:
            return None
        for aside in (f"{name}.rejected", f"{name}.rejected-{os.urandom(4).hex()}"):
            try:
                os.rename(name, aside, src_dir_fd=fd, dst_dir_fd=fd)
            except FileNotFoundError:
                return None
            except OSError:
                continue  # a directory is in the way: the unique name is not
            return root.joinpath(*dirs, aside)
    raise FileRefusedError(f"{root.joinpath(*dirs, name)}: cannot be moved aside")


def read_host_file(path: Path) -> bytes | None:
    """Read a host file with no-follow semantics on its last component."""
    return read_beneath(path.parent, path.name)


def write_host_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Atomically replace a host file, refusing a link at its name.

    The parent directory is created (mode 0700) when missing.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_beneath(path.parent, path.name, data, mode=mode)
