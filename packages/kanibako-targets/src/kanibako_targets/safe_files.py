"""Reading and writing credential files without ever following a symbolic link.

The project's home is writable by the container, and the agent in it is not
trusted: it could replace ``.claude/.credentials.json`` (or ``.claude`` itself)
with a link to some other host file, hoping that Kanibako reads it out or
overwrites it. So every path component below a trusted root is opened with
``O_NOFOLLOW`` relative to its parent's descriptor, a link anywhere is refused
with an error that says so, and writes go to a fresh temporary file that is
renamed over the name (a rename replaces a link, never writes through it).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from kanibako_targets.errors import CredentialError, SymlinkRefusedError

# Credentials are small; a planted multi-gigabyte file must not be read whole.
MAX_CREDENTIAL_BYTES = 4 * 1024 * 1024

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _parts(relative: str) -> list[str]:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise CredentialError(f"not a path inside its root: {relative!r}")
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


def _not_a_directory(exc: OSError, part: str, fd: int, where: Path) -> CredentialError:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
        return _refuse_link(where)
    if exc.errno == errno.ENOTDIR:
        return CredentialError(f"expected a directory at {where}")
    return CredentialError(f"cannot open {where}: {exc.strerror}")


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
            raise CredentialError(f"cannot read {where}: {exc.strerror}") from exc
        with os.fdopen(file_fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise CredentialError(f"not a regular file: {where}")
            data = handle.read(MAX_CREDENTIAL_BYTES + 1)
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise CredentialError(f"credential file too large: {where}")
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
            raise CredentialError(f"cannot create {where.parent}")
        if _is_link(name, fd):
            raise _refuse_link(where)
        temp = f".{name}.{os.urandom(6).hex()}.tmp"
        temp_fd = os.open(
            temp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            mode,
            dir_fd=fd,
        )
        try:
            with os.fdopen(temp_fd, "wb") as handle:
                os.fchmod(handle.fileno(), mode)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=fd)
            raise
        os.fsync(fd)


def read_host_file(path: Path) -> bytes | None:
    """Read a host file with no-follow semantics on its last component."""
    return read_beneath(path.parent, path.name)


def write_host_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Atomically replace a host file, refusing a link at its name.

    The parent directory is created (mode 0700) when missing.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_beneath(path.parent, path.name, data, mode=mode)
