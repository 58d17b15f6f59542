"""Sparse files: snapshot and restore keep holes, and cost what their data costs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_vault import prune, restore, snapshot
from kanibako_vault.archive_read import read_manifest

Tree = dict[str, tuple[str, int, bytes]]
GIB = 1024**3


def _sparse(path: Path, size: int, pieces: dict[int, bytes]) -> None:
    with path.open("wb") as out:
        out.truncate(size)
        for offset, data in pieces.items():
            out.seek(offset)
            out.write(data)


def _allocated(path: Path) -> int:
    return path.stat().st_blocks * 512


@pytest.fixture
def holey(vault: tuple[Path, Path]) -> Path:
    share, _ = vault
    path = share / "disk.img"
    _sparse(path, 2 * GIB, {0: b"head" * 1024, GIB: os.urandom(64 * 1024), 2 * GIB - 5: b"tail!"})
    if _allocated(path) > 16 * 1024 * 1024:
        pytest.skip("this filesystem does not keep holes")
    return path


@pytest.mark.usefixtures("no_leftovers")
def test_a_2_gib_sparse_file_round_trips_sparse(
    vault: tuple[Path, Path], holey: Path, compressor: str
) -> None:
    share, store = vault
    with holey.open("rb") as f:
        want = [
            (o, (f.seek(o), f.read(n))[1]) for o, n in ((0, 4096), (GIB, 65536), (2 * GIB - 5, 5))
        ]
    info = snapshot(share, store, compression=compressor).snapshot
    assert info is not None
    assert info.size < 1024 * 1024  # the archive holds the data, not 2 GiB of zeros
    entry = next(e for e in read_manifest(info.path).entries if e.path == "disk.img")
    assert entry.size == 2 * GIB and entry.extents is not None
    holey.unlink()
    restore(share, store, info.name)
    restored = share / "disk.img"
    assert restored.stat().st_size == 2 * GIB
    assert _allocated(restored) < 16 * 1024 * 1024
    with restored.open("rb") as f:
        for offset, data in want:
            f.seek(offset)
            assert f.read(len(data)) == data
        f.seek(GIB // 2)
        assert f.read(4096) == bytes(4096)


def test_sparse_file_survives_a_prune_rewrite(
    vault: tuple[Path, Path], holey: Path, state: Callable[[Path], Tree]
) -> None:
    # The kept incremental does not store disk.img; its rewrite takes the content (and
    # the extents) from the parent that goes.
    share, store = vault
    snapshot(share, store)
    (share / "top.txt").write_text("second\n")
    second = snapshot(share, store).snapshot
    assert second is not None
    prune(store, 1)
    entry = next(e for e in read_manifest(second.path).entries if e.path == "disk.img")
    assert entry.stored and entry.extents is not None
    holey.unlink()
    restore(share, store, second.name)
    assert (share / "disk.img").stat().st_size == 2 * GIB
    assert _allocated(share / "disk.img") < 16 * 1024 * 1024


def test_a_file_with_only_a_hole_restores_empty_of_data(vault: tuple[Path, Path]) -> None:
    share, store = vault
    _sparse(share / "nothing", 100 * 1024 * 1024, {})
    info = snapshot(share, store).snapshot
    assert info is not None
    (share / "nothing").unlink()
    restore(share, store, info.name)
    assert (share / "nothing").stat().st_size == 100 * 1024 * 1024
    assert _allocated(share / "nothing") == 0
