"""zstd where it pays: no worker threads for random data, and many MiB of it as a plain tar."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import zstandard

from kanibako_vault import compress, restore, snapshot

Tree = dict[str, tuple[str, int, bytes]]


def test_random_data_is_judged_incompressible_and_text_compressible() -> None:
    assert not compress._compressible(zstandard, os.urandom(256 * 1024))
    text = b"".join(
        b"2026-12-02T05:%02d GET /api/v1/items 200 took %d ms\n" % (i % 60, i) for i in range(5000)
    )
    assert compress._compressible(zstandard, text)
    assert compress._compressible(zstandard, b"")  # nothing known: as before, threads


def _files(root: Path, count: int, make: Callable[[int], bytes]) -> None:
    root.mkdir(parents=True)
    for i in range(count):
        (root / f"f{i}").write_bytes(make(i))


def _log(i: int) -> bytes:
    line = b"2026-12-02T05:%02d GET /api/v1/items 200 took %d ms\n" % (i % 60, i)
    return line * (1024 * 1024 // len(line))


def test_many_mib_of_random_data_are_stored_as_a_plain_tar_that_restores(
    tmp_path: Path, state: Callable[[Path], Tree]
) -> None:
    share, store = tmp_path / "share", tmp_path / "store"
    _files(share, 9, lambda _: os.urandom(1024 * 1024))
    want = state(share)
    info = snapshot(share, store).snapshot
    assert info is not None and info.path.name.endswith(".tar")
    (share / "f0").write_bytes(b"changed")
    restore(share, store, info.name)
    assert state(share) == want


def test_compressible_or_mixed_content_stays_zstd(tmp_path: Path) -> None:
    text, mixed, store = tmp_path / "text", tmp_path / "mixed", tmp_path / "store"
    _files(text, 9, _log)
    _files(mixed, 10, lambda i: os.urandom(1024 * 1024) if i % 2 else _log(i))
    for tree in (text, mixed):
        info = snapshot(tree, store / tree.name).snapshot
        assert info is not None and info.path.name.endswith(".tar.zst")


def test_few_bytes_of_random_data_stay_zstd(vault: tuple[Path, Path]) -> None:
    share, store = vault  # its content is mostly random, but small
    info = snapshot(share, store).snapshot
    assert info is not None and info.path.name.endswith(".tar.zst")
