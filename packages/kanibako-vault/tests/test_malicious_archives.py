"""Crafted archives: every escape is refused and the directory stays byte-identical.

Each case runs twice: with tarfile's ``data`` filter judging members first, and as
on Python 3.11.2 (no filter), where our own checks alone must refuse the archive.
"""

from __future__ import annotations

import io
import json
import lzma
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zstandard

from kanibako_vault import CorruptArchiveError, UnsafeArchiveError, restore, snapshot
from kanibako_vault.archive_read import check_member
from kanibako_vault.store import archive_path

Tree = dict[str, tuple[str, int, bytes]]
CRAFTED_NAME = "20260101T000000.000000Z"


def entry(
    path: str,
    kind: str = "f",
    size: int = 0,
    target: str = "",
    stored: bool = True,
    *,
    extents: list[int] | None = None,
) -> list[Any]:
    """A manifest entry row as the archive format stores it."""
    mode = 0o755 if kind == "d" else 0o644
    row = [path, kind, size, 1_700_000_000_000_000_000, mode, 1, 1, 0, 0, target, stored]
    return [*row, extents]


def member(
    name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", linkname: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.linkname = linkname
    return info, data


def write_archive(
    path: Path,
    entries: list[list[Any]],
    members: list[tuple[tarfile.TarInfo, bytes]],
    *,
    name: str = CRAFTED_NAME,
    parent: str | None = None,
    manifest_format: str = "kanibako-vault/2",
) -> Path:
    """Hand-make an archive: any manifest, any members (this is how attacks are built)."""
    doc = {
        "format": manifest_format,
        "name": name,
        "created": "2026-01-01T00:00:00+00:00",
        "parent": parent,
        "root_mode": 0o755,
        "fields": [],
        "entries": entries,
    }
    data = json.dumps(doc).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for item, content in members:
            tar.addfile(item, io.BytesIO(content) if item.isreg() else None)
    # The path's suffix says the format, as in a real store.
    if path.name.endswith(".tar.zst"):
        path.write_bytes(zstandard.ZstdCompressor().compress(plain.getvalue()))
    elif path.name.endswith(".tar.xz"):
        path.write_bytes(lzma.compress(plain.getvalue()))
    else:
        path.write_bytes(plain.getvalue())
    return path


Case = tuple[list[list[Any]], list[tuple[tarfile.TarInfo, bytes]]]

CASES: dict[str, Case] = {
    "dotdot-member": ([entry("ok", size=1)], [member("data/ok", data=b"x"), member("data/../../evil", data=b"x")]),
    "member-outside-data": ([entry("ok", size=1)], [member("data/ok", data=b"x"), member("../evil", data=b"x")]),
    "absolute-member": ([entry("ok", size=1)], [member("data/ok", data=b"x"), member("/tmp/evil", data=b"x")]),
    "dotdot-in-manifest": ([entry("../evil", size=1)], [member("data/../evil", data=b"x")]),
    "absolute-in-manifest": ([entry("/tmp/evil", size=1)], []),
    "absolute-link": ([entry("l", "l", target="/etc/passwd")], [member("data/l", tarfile.SYMTYPE, linkname="/etc/passwd")]),
    "link-member-escaping": ([entry("l", "l", target="ok")], [member("data/l", tarfile.SYMTYPE, linkname="../../x")]),
    "link-up-and-out": ([entry("l", "l", target="../../x")], [member("data/l", tarfile.SYMTYPE, linkname="../../x")]),
    "links-escaping-together": (
        [entry("d", "d"), entry("d/l", "l", target=".."), entry("x", "l", target="d/l/..")],
        [member("data/d", tarfile.DIRTYPE), member("data/d/l", tarfile.SYMTYPE, linkname=".."),
         member("data/x", tarfile.SYMTYPE, linkname="d/l/..")],
    ),
    "file-under-a-symlink": (
        [entry("l", "l", target="."), entry("l/x", size=1)],
        [member("data/l", tarfile.SYMTYPE, linkname="."), member("data/l/x", data=b"x")],
    ),
    "char-device": ([entry("ok", size=1)], [member("data/ok", data=b"x"), member("data/null", tarfile.CHRTYPE)]),
    "block-device": ([], [member("data/sda", tarfile.BLKTYPE)]),
    "fifo": ([], [member("data/pipe", tarfile.FIFOTYPE)]),
    "hard-link-out": ([], [member("data/h", tarfile.LNKTYPE, linkname="/etc/shadow")]),
    "device-in-manifest": ([entry("null", "c")], []),
    "extents-past-the-end": ([entry("s", size=4, extents=[2, 3])], [member("data/s", data=b"xyz")]),
    "extents-overlapping": ([entry("s", size=9, extents=[0, 4, 2, 2])], [member("data/s", data=b"xxxxyy")]),
    "extents-on-a-link": ([entry("l", "l", target="ok", extents=[0, 1])], [member("data/l", tarfile.SYMTYPE, linkname="ok")]),
    "extents-longer-than-member": ([entry("s", size=9, extents=[0, 4])], [member("data/s", data=b"xx")]),
}  # fmt: skip
SUFFIXES = (".tar.zst", ".tar.xz", ".tar")


def _snapshot_ok(share: Path, store: Path) -> None:
    info = snapshot(share, store).snapshot
    assert info is not None


@pytest.mark.usefixtures("member_checks", "no_leftovers")
@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_crafted_archive_is_refused_and_nothing_changes(
    case: str, suffix: str, vault: tuple[Path, Path], tmp_path: Path, state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    entries, members = CASES[case]
    write_archive(store / f"{CRAFTED_NAME}{suffix}", entries, members)
    (share / "work.txt").write_text("the agent's latest work\n")
    before = state(share)
    outside = state(tmp_path)
    with pytest.raises((UnsafeArchiveError, CorruptArchiveError)):
        restore(share, store, CRAFTED_NAME)
    assert state(share) == before
    after = state(tmp_path)
    changed = {k for k in set(after) | set(outside) if after.get(k) != outside.get(k)}
    assert all(k.startswith("store") for k in changed), changed


def test_members_are_refused_by_our_own_checks_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from kanibako_vault import archive_read

    monkeypatch.setattr(archive_read, "DATA_FILTER", None)
    bad = [
        member("data/../x")[0],
        member("/abs")[0],
        member("outside")[0],
        member("data/dev", tarfile.CHRTYPE)[0],
        member("data/fifo", tarfile.FIFOTYPE)[0],
        member("data/hard", tarfile.LNKTYPE, linkname="data/ok")[0],
        member("data/l", tarfile.SYMTYPE, linkname="/etc")[0],
        member("data/a//b")[0],
    ]
    sparse = member("data/sparse")[0]
    # What tarfile sets when it reads a GNU/PAX sparse member (typeshed says bytes).
    sparse.sparse = [(0, 1)]  # type: ignore[assignment]
    bad.append(sparse)
    for item in bad:
        with pytest.raises(UnsafeArchiveError):
            check_member(item, "crafted")
    assert check_member(member("data/ok")[0], "crafted") == "ok"
    assert check_member(member("data/l", tarfile.SYMTYPE, linkname="ok")[0], "crafted") == "l"


def test_member_disagreeing_with_its_manifest_is_refused(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    write_archive(
        archive_path(store, CRAFTED_NAME),
        [entry("a", size=1)],
        [member("data/a", data=b"x"), member("data/extra", data=b"surprise")],
    )
    before = state(share)
    with pytest.raises(CorruptArchiveError, match="disagrees"):
        restore(share, store, CRAFTED_NAME)
    assert state(share) == before


def test_a_well_formed_crafted_archive_restores(vault: tuple[Path, Path]) -> None:
    # The crafting helper itself is sound: the refusals above are for the attacks.
    share, store = vault
    write_archive(
        archive_path(store, CRAFTED_NAME),
        [entry("d", "d"), entry("d/a", size=2), entry("l", "l", target="d/a")],
        [member("data/d", tarfile.DIRTYPE), member("data/d/a", data=b"hi"),
         member("data/l", tarfile.SYMTYPE, linkname="d/a")],
    )  # fmt: skip
    restore(share, store, CRAFTED_NAME)
    assert (share / "l").read_text() == "hi"


def test_a_format_1_xz_archive_of_before_zstd_still_restores(vault: tuple[Path, Path]) -> None:
    share, store = vault
    rows = [entry("d", "d")[:11], entry("d/a", size=2)[:11]]
    write_archive(
        store / f"{CRAFTED_NAME}.tar.xz",
        rows,
        [member("data/d", tarfile.DIRTYPE), member("data/d/a", data=b"hi")],
        manifest_format="kanibako-vault/1",
    )
    restore(share, store, CRAFTED_NAME)
    assert (share / "d" / "a").read_text() == "hi"
