"""Archive formats: each round-trips, and a chain may mix zstd, xz and plain tar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_vault import VaultUsageError, list_snapshots, prune, restore, snapshot

Tree = dict[str, tuple[str, int, bytes]]


@pytest.mark.usefixtures("no_leftovers")
def test_round_trip_in_each_format(
    vault: tuple[Path, Path], compressor: str, state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    want = state(share)
    info = snapshot(share, store, compression=compressor).snapshot
    assert info is not None
    (share / "top.txt").write_text("wrecked\n")
    (share / "docs" / "a.txt").unlink()
    restore(share, store, info.name, compression=compressor)
    assert state(share) == want


@pytest.mark.usefixtures("no_leftovers")
def test_a_chain_mixing_formats_restores_every_link(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    made = []
    for i, compression in enumerate(["xz", "zstd", "none", "xz", "zstd"]):
        (share / "top.txt").write_text(f"version {i}\n")
        (share / f"added-{i}.txt").write_text(str(i) * (i + 1))
        info = snapshot(share, store, compression=compression).snapshot
        assert info is not None
        made.append((info, state(share)))
    suffixes = [info.path.name.removeprefix(info.name) for info, _ in made]
    assert suffixes == [".tar.xz", ".tar.zst", ".tar", ".tar.xz", ".tar.zst"]
    assert [i.parent for i in list_snapshots(store)[1:]] == [info.name for info, _ in made[:-1]]
    for info, want in reversed(made):
        restore(share, store, info.name)
        assert state(share) == want


def test_prune_rewrites_a_kept_xz_incremental_as_zstd(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    snapshot(share, store, compression="xz")
    (share / "top.txt").write_text("second\n")
    second = snapshot(share, store, compression="xz").snapshot
    assert second is not None
    want = state(share)
    result = prune(store, 1)
    assert result.rebased == (second.name,)
    # One archive per name: the rewrite replaced the .tar.xz.
    assert sorted(p.name for p in store.iterdir() if not p.name.startswith(".")) == [
        f"{second.name}.tar.zst"
    ]
    (share / "top.txt").write_text("wrecked\n")
    restore(share, store, second.name)
    assert state(share) == want


def test_a_name_left_in_two_formats_lists_once_and_restores(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    # A rewrite killed between its rename and removing the old file leaves both.
    share, store = vault
    want = state(share)
    info = snapshot(share, store, compression="xz").snapshot
    assert info is not None
    old = info.path.read_bytes()
    prune(store, 1)  # nothing to rewrite: it stays .tar.xz
    (store / f"{info.name}.tar.xz").write_bytes(old)
    listed = list_snapshots(store)
    assert [i.name for i in listed] == [info.name]
    (share / "top.txt").write_text("wrecked\n")
    restore(share, store, info.name)
    assert state(share) == want


def test_an_unknown_compression_is_a_usage_error(vault: tuple[Path, Path]) -> None:
    share, store = vault
    with pytest.raises(VaultUsageError, match="compression must be one of zstd, xz, none"):
        snapshot(share, store, compression="gzip")
    assert not store.exists()
