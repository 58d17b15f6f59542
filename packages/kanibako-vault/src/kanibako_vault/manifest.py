"""The manifest: what a snapshot's tree holds, and which entries its own archive stores.

Every archive begins with ``manifest.json``. It lists every entry of the directory at
snapshot time with the ``lstat`` facts used to notice change without reading content
(size, mtime, inode, ctime, mode), and marks the entries whose content this archive
stores. An entry not stored here is unchanged since the ``parent`` snapshot, so its
content is found by following the chain of parents to the nearest archive storing it.
A manifest read from disk is untrusted: ``parse_manifest`` checks every field.

A sparse file (one with holes) carries its data extents, ``[offset, length, ...]``;
its archive member holds only those bytes, back to back, so it costs what its data
costs, and a restore writes the extents at their offsets and leaves the holes. Format
2 added that field; format 1 manifests (no extents) are still read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from kanibako_vault.errors import CorruptArchiveError, UnsafeArchiveError
from kanibako_vault.names import is_snapshot_name
from kanibako_vault.safety import check_relpath, escaping_links, parent_of

FORMAT = "kanibako-vault/2"
_FORMAT_1 = "kanibako-vault/1"
MANIFEST_MEMBER = "manifest.json"
DATA_PREFIX = "data"
FIELDS = ("path", "kind", "size", "mtime_ns", "mode", "ino", "ctime_ns", "uid", "gid", "target", "stored", "extents")  # fmt: skip
DIR, FILE, LINK = "d", "f", "l"


# Not frozen: a frozen dataclass is five times slower to build, and every snapshot
# builds two per entry (scan and manifest). Treat entries as values all the same.
@dataclass(slots=True)
class Entry:
    """One directory, regular file or symbolic link of the tree, by relative path."""

    path: str
    kind: str
    size: int
    mtime_ns: int
    mode: int
    ino: int
    ctime_ns: int
    uid: int
    gid: int
    target: str = ""
    stored: bool = False
    extents: tuple[int, ...] | None = None
    """A sparse file's data as flat (offset, length) pairs; None for a dense file."""

    @property
    def stored_size(self) -> int:
        """Bytes of this file's archive member: its size, or its extents' total when sparse."""
        if self.extents is None:
            return self.size
        return sum(self.extents[1::2])

    def unchanged_from(self, other: Entry) -> bool:
        """True when the ``lstat`` facts say the content cannot have changed."""
        return (
            self.kind == other.kind
            and self.size == other.size
            and self.mtime_ns == other.mtime_ns
            and self.ctime_ns == other.ctime_ns
            and self.ino == other.ino
            and self.mode == other.mode
            and self.target == other.target
        )

    def same_content_shape(self, other: Entry) -> bool:
        """True when two records can describe the same content (kind, size, link target)."""
        return self.kind == other.kind and self.size == other.size and self.target == other.target


@dataclass(frozen=True, slots=True)
class Manifest:
    """A snapshot's description of its tree; ``parent`` is None for a full snapshot."""

    name: str
    created: str
    parent: str | None
    root_mode: int
    entries: tuple[Entry, ...]

    @property
    def file_count(self) -> int:
        """Files and links (directories not counted)."""
        return sum(1 for e in self.entries if e.kind != DIR)

    def with_all_stored(self, extents: dict[str, tuple[int, ...] | None]) -> Manifest:
        """The same tree recorded as a self-contained (full) snapshot.

        ``extents`` gives each file's extents as recorded where its content is stored.
        """
        stored = tuple(
            replace(e, stored=True, extents=extents.get(e.path, e.extents)) for e in self.entries
        )
        return replace(self, parent=None, entries=stored)


def member_name(path: str) -> str:
    """The archive member name of an entry's relative path."""
    return f"{DATA_PREFIX}/{path}"


def dump_manifest(manifest: Manifest) -> bytes:
    """The manifest as the UTF-8 JSON stored first in an archive."""
    doc = {
        "format": FORMAT,
        "name": manifest.name,
        "created": manifest.created,
        "parent": manifest.parent,
        "root_mode": manifest.root_mode,
        "fields": list(FIELDS),
        "entries": [
            [e.path, e.kind, e.size, e.mtime_ns, e.mode, e.ino, e.ctime_ns, e.uid, e.gid,
             e.target, e.stored, None if e.extents is None else list(e.extents)]
            for e in manifest.entries
        ],
    }  # fmt: skip
    # surrogateescape names (bytes that are not UTF-8) survive as \udcXX escapes.
    return json.dumps(doc, separators=(",", ":")).encode("ascii")


def parse_manifest(data: bytes, where: str) -> Manifest:
    """Read and check a manifest; ``where`` names the archive in error messages."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptArchiveError(f"{where}: manifest is not valid JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") not in (FORMAT, _FORMAT_1):
        raise CorruptArchiveError(f"{where}: not a {FORMAT} manifest")
    width = len(FIELDS) if doc["format"] == FORMAT else len(FIELDS) - 1
    name, parent = doc.get("name"), doc.get("parent")
    if not isinstance(name, str) or not is_snapshot_name(name):
        raise CorruptArchiveError(f"{where}: manifest has no valid snapshot name")
    if parent is not None and (
        not isinstance(parent, str) or not is_snapshot_name(parent) or parent >= name
    ):
        raise CorruptArchiveError(f"{where}: manifest names an invalid parent {parent!r}")
    created, root_mode, raw = doc.get("created"), doc.get("root_mode"), doc.get("entries")
    if not isinstance(created, str) or not isinstance(root_mode, int) or not isinstance(raw, list):
        raise CorruptArchiveError(f"{where}: manifest lacks created, root_mode or entries")
    entries = tuple(_parse_entry(item, width, where) for item in raw)
    _check_tree(entries, where)
    return Manifest(name, created, parent, root_mode, entries)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_entry(item: Any, width: int, where: str) -> Entry:
    if not isinstance(item, list) or len(item) != width:
        raise CorruptArchiveError(f"{where}: malformed manifest entry {item!r:.80}")
    path, kind, target, stored = item[0], item[1], item[9], item[10]
    if not isinstance(path, str) or not isinstance(target, str) or not isinstance(stored, bool):
        raise CorruptArchiveError(f"{where}: malformed manifest entry {item!r:.80}")
    numbers = item[2:9]
    # type() is, not isinstance: True is an int but not a size. (Run per entry: kept lean.)
    if not all(type(n) is int and n >= 0 for n in numbers):
        raise CorruptArchiveError(f"{where}: malformed manifest entry {item!r:.80}")
    check_relpath(path, where)
    if kind not in (DIR, FILE, LINK):
        raise UnsafeArchiveError(f"{where}: entry {path!r} has a forbidden kind {kind!r}")
    if (kind == LINK) != bool(target):
        raise CorruptArchiveError(f"{where}: entry {path!r} has a misplaced link target")
    s, m, mo, i, c, u, g = numbers
    extents = _parse_extents(item[11] if width == len(FIELDS) else None, kind, s, where, path)
    return Entry(path, kind, s, m, mo, i, c, u, g, target, stored, extents)


def _parse_extents(raw: Any, kind: str, size: int, where: str, path: str) -> tuple[int, ...] | None:
    """Extents in order, not overlapping, inside the file; anything else is damage."""
    if raw is None:
        return None
    bad = CorruptArchiveError(f"{where}: entry {path!r} has malformed extents")
    if kind != FILE or not isinstance(raw, list) or len(raw) % 2:
        raise bad
    end = 0
    for offset, length in zip(raw[::2], raw[1::2], strict=True):
        if not (_is_int(offset) and _is_int(length)) or offset < end or length <= 0:
            raise bad
        end = offset + length
    if end > size:
        raise bad
    return tuple(raw)


def _check_tree(entries: tuple[Entry, ...], where: str) -> None:
    """Unique paths, each inside a directory entry, and no link resolving outside."""
    kinds: dict[str, str] = {}
    for entry in entries:
        if entry.path in kinds:
            raise CorruptArchiveError(f"{where}: entry {entry.path!r} appears twice")
        parent = parent_of(entry.path)
        if parent and kinds.get(parent) != DIR:
            # Entries come parents first; a child under a link or a file could be
            # written through that link.
            raise UnsafeArchiveError(f"{where}: entry {entry.path!r} is not inside a directory")
        kinds[entry.path] = entry.kind
    links = {e.path: e.target for e in entries if e.kind == LINK}
    bad = escaping_links(links)
    if bad:
        first = min(bad)
        raise UnsafeArchiveError(
            f"{where}: link {first!r} -> {links[first]!r} points outside the directory"
        )
