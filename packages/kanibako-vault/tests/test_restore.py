"""Restoring: exact trees, through chains, all-or-nothing, by listed names only."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_vault import (
    CorruptArchiveError,
    UnknownSnapshotError,
    list_snapshots,
    restore,
    snapshot,
)
from kanibako_vault.store import archive_path

Tree = dict[str, tuple[str, int, bytes]]


def _take(share: Path, store: Path, compression: str = "zstd") -> str:
    info = snapshot(share, store, compression=compression).snapshot
    assert info is not None
    return info.name


def test_restore_brings_back_files_links_empty_dirs_and_modes(
    vault: tuple[Path, Path], compressor: str, state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    want = state(share)
    name = _take(share, store, compressor)
    shutil.rmtree(share / "docs")
    (share / "top.txt").write_text("wrecked")
    (share / "junk").mkdir()
    result = restore(share, store, name)
    assert state(share) == want
    assert result.restored == name and result.before is not None and result.before != name


def test_restore_through_a_chain_of_incrementals(
    vault: tuple[Path, Path], state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    _take(share, store)
    (share / "top.txt").write_text("second\n")
    (share / "docs" / "deep" / "b.bin").unlink()
    _take(share, store)
    (share / "empty").rmdir()
    (share / "empty").write_text("a file where a directory was")
    (share / "docs" / "new.txt").write_text("third")
    want = state(share)
    third = _take(share, store)
    shutil.rmtree(share)
    share.mkdir()
    restore(share, store, third)
    assert state(share) == want


def test_restore_into_a_missing_directory_recreates_it(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    want = state(share)
    name = _take(share, store)
    shutil.rmtree(share)
    result = restore(share, store, name)
    assert state(share) == want and result.before is None


def test_current_state_is_snapshotted_before_restoring(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    first = _take(share, store)
    (share / "top.txt").write_text("work the agent did\n")
    wanted_later = state(share)
    result = restore(share, store, first)
    assert result.before is not None
    restore(share, store, result.before)
    assert state(share) == wanted_later


def test_after_restore_the_next_snapshot_finds_nothing_changed(vault: tuple[Path, Path]) -> None:
    share, store = vault
    first = _take(share, store)
    (share / "top.txt").write_text("x")
    result = restore(share, store, first)
    again = snapshot(share, store)
    assert again.snapshot is None and again.unchanged_since == result.current


@pytest.mark.parametrize(
    "name",
    [
        "../20260101T000000.000000Z",
        "/etc/passwd",
        "20260101T000000.000000Z.tar.xz",
        "latest",
        "",
        "20991231T000000.000000Z",
    ],
)
def test_only_names_that_list_shows_are_accepted(
    vault: tuple[Path, Path], name: str, state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    _take(share, store)
    before = state(share)
    with pytest.raises(UnknownSnapshotError):
        restore(share, store, name)
    assert state(share) == before


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped-byte"])
def test_corrupt_archive_fails_cleanly_and_leaves_directory_untouched(
    vault: tuple[Path, Path], damage: str, state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    name = _take(share, store)
    path = archive_path(store, name)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not an archive at all" * 10)
    else:
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    (share / "top.txt").write_text("current work\n")
    before = state(share)
    with pytest.raises(CorruptArchiveError, match=name):
        restore(share, store, name)
    assert state(share) == before
    assert name in [i.name for i in list_snapshots(store)]  # still listed (marked if unreadable)


def test_missing_parent_in_the_chain_is_reported(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    first = _take(share, store)
    (share / "top.txt").write_text("second\n")
    second = _take(share, store)
    archive_path(store, first).unlink()
    listed = list_snapshots(store)
    assert listed[0].problem == f"needs snapshot {first}, which is missing"
    before = state(share)
    with pytest.raises(CorruptArchiveError, match=f"needs snapshot {first}"):
        restore(share, store, second)
    assert state(share) == before


def test_damage_deep_in_a_large_archive_is_reported_and_stops_the_read_ahead(
    tmp_path: Path, state: Callable[[Path], Tree]
) -> None:
    share, store = tmp_path / "share", tmp_path / "store"
    share.mkdir()
    for i in range(24):  # enough that decoding runs megabytes ahead of the writes
        (share / f"f{i:02d}.log").write_bytes((b"line %d of a log\n" % i) * 40_000)
    (share / "r.bin").write_bytes(os.urandom(1024 * 1024))
    name = _take(share, store)
    path = archive_path(store, name)
    data = bytearray(path.read_bytes())
    data[len(data) * 3 // 4] ^= 0xFF
    path.write_bytes(bytes(data))
    (share / "f00.log").write_text("current work\n")
    before = state(share)
    threads = threading.active_count()
    with pytest.raises(CorruptArchiveError, match=name):
        restore(share, store, name)
    assert state(share) == before
    assert threading.active_count() == threads
