"""Reading archives: the manifest first, then data members, each checked before use.

Every member passes our own checks, which run everywhere and are strict: only
regular files, directories and symbolic links under ``data/``, with plain relative
names, each matching what the archive's own manifest says it stores. Where the
running Python has it (3.11.4+; 3.11.2 has not), tarfile's ``data`` filter judges
every member but the plain files first (see ``check_member``).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from kanibako_vault.errors import CorruptArchiveError, UnsafeArchiveError, VaultError
from kanibako_vault.manifest import (
    DATA_PREFIX,
    DIR,
    FILE,
    LINK,
    MANIFEST_MEMBER,
    Entry,
    Manifest,
    parse_manifest,
)
from kanibako_vault.safety import check_relpath

# A manifest lists entries, not content; anything this large is an attack or damage.
MAX_MANIFEST_BYTES = 512 * 1024 * 1024

DataFilter = Callable[[tarfile.TarInfo, str], tarfile.TarInfo | None]
DATA_FILTER: DataFilter | None = getattr(tarfile, "data_filter", None)
# Stands in for the extraction root when the data filter judges a member; it must not
# exist, so the filter's realpath() cannot be steered by anything on disk.
_FILTER_ROOT = "/nonexistent/kanibako-vault-root"

_FILTER_REASONS = {
    "AbsolutePathError": "absolute path",
    "OutsideDestinationError": "outside the directory",
    "SpecialFileError": "special file",
    "AbsoluteLinkError": "link to an absolute path",
    "LinkOutsideDestinationError": "link pointing outside the directory",
}
_PLAIN_FILE = (tarfile.REGTYPE, tarfile.AREGTYPE)
_READ_ERRORS = (tarfile.TarError, EOFError, ValueError)
_READ_BUFFER = tarfile.RECORDSIZE  # larger buffers are slower: tarfile copies its buffer per read


@contextmanager
def open_archive(
    path: Path, *, to_end: bool = False, read_ahead: bool = False
) -> Iterator[tarfile.TarFile]:
    """The archive as a tar stream, with decoding failures reported as CorruptArchiveError.

    ``to_end``: once the caller is done, decompress what is left, so the format's
    checksum (zstd's and xz's, at the end of the stream) is checked. ``read_ahead``:
    decompress in a thread ahead of the reader (for a caller reading it all).
    """
    try:
        # O_NONBLOCK: a FIFO named like a snapshot must not hang every command.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise CorruptArchiveError(f"{path.name}: archive is missing") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CorruptArchiveError(f"{path.name}: not a regular file")
    raw = os.fdopen(fd, "rb")
    errors: tuple[type[BaseException], ...] = _READ_ERRORS
    try:
        with contextlib.ExitStack() as closing:
            closing.enter_context(raw)
            stream: IO[bytes] = raw
            if path.name.endswith(".tar.zst"):
                import zstandard

                errors += (zstandard.ZstdError,)
                reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)
                stream = cast(IO[bytes], closing.enter_context(reader))
            elif path.name.endswith(".tar.xz"):
                import lzma  # only for snapshots from before zstd, or vault_compression = xz

                errors += (lzma.LZMAError,)
                stream = closing.enter_context(lzma.LZMAFile(raw))
            if read_ahead and stream is not raw:
                from kanibako_vault.read_ahead import ReadAhead

                stream = cast(IO[bytes], closing.enter_context(ReadAhead(stream)))
            yield closing.enter_context(
                tarfile.open(fileobj=stream, mode="r|", bufsize=_READ_BUFFER)
            )
            while to_end and stream.read(_READ_BUFFER):
                pass
    except VaultError:
        raise
    except errors as exc:
        raise CorruptArchiveError(f"{path.name}: archive is damaged ({exc})") from exc


def _read_manifest_member(
    tar: tarfile.TarInfo | None, stream: tarfile.TarFile, where: str
) -> bytes:
    if (
        tar is None
        or tar.name != MANIFEST_MEMBER
        or tar.type not in (tarfile.REGTYPE, tarfile.AREGTYPE)
    ):
        raise CorruptArchiveError(f"{where}: archive does not begin with {MANIFEST_MEMBER}")
    if tar.size > MAX_MANIFEST_BYTES:
        raise CorruptArchiveError(f"{where}: manifest is implausibly large")
    return _content(stream, tar, where).read()


def _content(tar: tarfile.TarFile, member: tarfile.TarInfo, where: str) -> IO[bytes]:
    reader = tar.extractfile(member)
    if reader is None:
        raise CorruptArchiveError(f"{where}: member {member.name!r} has no content")
    return reader


def read_manifest(path: Path) -> Manifest:
    """The manifest of one archive (only the start of the archive is decompressed)."""
    with open_archive(path) as tar:
        data = _read_manifest_member(tar.next(), tar, path.name)
    manifest = parse_manifest(data, path.name)
    if not path.name.startswith(f"{manifest.name}.tar"):
        raise CorruptArchiveError(f"{path.name}: manifest belongs to {manifest.name}")
    return manifest


def check_member(member: tarfile.TarInfo, where: str) -> str:
    """The entry path a data member stands for; raises UnsafeArchiveError if it is not allowed."""
    # A plain file's name must pass our stricter checks below, and its mode is never
    # taken from the archive: the filter (measured: 34 ms of the 105 ms that reading
    # 1,000 members takes) judges only the members where it could add something.
    if DATA_FILTER is not None and member.type not in _PLAIN_FILE:
        try:
            DATA_FILTER(member, _FILTER_ROOT)
        except tarfile.FilterError as exc:
            reason = _FILTER_REASONS.get(type(exc).__name__, "not allowed")
            raise UnsafeArchiveError(f"{where}: refused member {member.name!r} ({reason})") from exc
    name = member.name
    if name == DATA_PREFIX:
        if not member.isdir():
            raise UnsafeArchiveError(f"{where}: member {name!r} must be a directory")
        return ""
    rel = name.removeprefix(f"{DATA_PREFIX}/")
    check_relpath(rel, where)
    if rel == name:
        raise UnsafeArchiveError(f"{where}: member {name!r} is outside {DATA_PREFIX}/")
    if member.issparse():
        raise UnsafeArchiveError(f"{where}: member {name!r} is a sparse file, not allowed")
    if member.type in (tarfile.REGTYPE, tarfile.AREGTYPE) or member.isdir():
        return rel
    if member.issym():
        if not member.linkname or member.linkname.startswith("/"):
            raise UnsafeArchiveError(f"{where}: link {name!r} points outside the directory")
        return rel
    raise UnsafeArchiveError(f"{where}: member {name!r} is a {_kind_name(member)}, not allowed")


def _kind_name(member: tarfile.TarInfo) -> str:
    if member.islnk():
        return "hard link"
    if member.ischr() or member.isblk():
        return "device file"
    if member.isfifo():
        return "FIFO"
    return f"special member (type {member.type!r})"


def _matches(member: tarfile.TarInfo, entry: Entry | None) -> bool:
    if entry is None or not entry.stored:
        return False
    if entry.kind == FILE:
        return (
            member.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and member.size == entry.stored_size
        )
    if entry.kind == LINK:
        return member.issym() and member.linkname == entry.target
    return entry.kind == DIR and member.isdir()


FileSink = Callable[[Entry, IO[bytes]], None]


def read_files(path: Path, manifest: Manifest, wanted: set[str], sink: FileSink) -> None:
    """Call ``sink(entry, content)`` for each wanted file the archive stores.

    Every member is checked, wanted or not: one bad member rejects the whole archive.
    A wanted file the archive lacks is reported as damage once the stream ends. The
    sink runs inside the archive's error handling, so a damaged stream met while the
    sink reads is reported as CorruptArchiveError too.
    """
    where = path.name
    stored = {e.path: e for e in manifest.entries if e.stored}
    seen: set[str] = set()
    with open_archive(path, to_end=True, read_ahead=True) as tar:
        _read_manifest_member(tar.next(), tar, where)
        # tar.next(), not iteration: iterating a stream starts again at the manifest.
        while (member := tar.next()) is not None:
            rel = check_member(member, where)
            if rel == "":
                continue
            entry = stored.get(rel)
            if rel in seen or not _matches(member, entry):
                raise CorruptArchiveError(
                    f"{where}: member {member.name!r} disagrees with the manifest"
                )
            seen.add(rel)
            if rel in wanted:
                sink(stored[rel], _content(tar, member, where))
    missing = wanted - seen
    if missing:
        raise CorruptArchiveError(f"{where}: archive lacks {min(missing)!r}")
