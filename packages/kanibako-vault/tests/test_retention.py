"""Retention: snapshot(..., keep_newest=N) prunes to the N newest, as prune does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_vault import VaultUsageError, list_snapshots, restore, snapshot

Tree = dict[str, tuple[str, int, bytes]]


def test_keep_newest_bounds_the_store_and_every_kept_one_restores(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    made = []
    for i in range(6):
        (share / "top.txt").write_text(f"version {i}\n")
        (share / f"added-{i}.txt").write_text(str(i))
        info = snapshot(share, store, keep_newest=3).snapshot
        assert info is not None
        made.append((info.name, state(share)))
        assert len(list_snapshots(store)) == min(i + 1, 3)
    listed = list_snapshots(store)
    assert [i.name for i in listed] == [name for name, _ in made[-3:]]
    # The oldest kept was an incremental whose parent went: now self-contained.
    assert listed[0].full and not listed[1].full and not listed[2].full
    for name, want in made[-3:]:
        restore(share, store, name)
        assert state(share) == want


def test_unchanged_snapshot_still_prunes(vault: tuple[Path, Path]) -> None:
    share, store = vault
    for i in range(4):
        (share / "top.txt").write_text(f"version {i}\n")
        snapshot(share, store)
    latest = list_snapshots(store)[-1].name
    result = snapshot(share, store, keep_newest=2)
    assert result.snapshot is None and result.unchanged_since == latest
    assert len(list_snapshots(store)) == 2


def test_without_keep_newest_nothing_is_pruned(vault: tuple[Path, Path]) -> None:
    share, store = vault
    for i in range(4):
        (share / "top.txt").write_text(f"version {i}\n")
        snapshot(share, store)
    assert len(list_snapshots(store)) == 4


def test_keep_newest_below_one_is_a_usage_error(vault: tuple[Path, Path]) -> None:
    share, store = vault
    with pytest.raises(VaultUsageError, match="keep_newest must be 1 or more"):
        snapshot(share, store, keep_newest=0)


def test_a_damaged_chain_does_not_block_retention(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    # Before every launch: a damaged old archive must not make every launch fail.
    share, store = vault
    first = snapshot(share, store).snapshot
    (share / "top.txt").write_text("second\n")
    second = snapshot(share, store).snapshot
    assert first is not None and second is not None
    first.path.write_bytes(b"damaged")
    (share / "top.txt").write_text("third\n")
    third = snapshot(share, store, keep_newest=2).snapshot
    assert third is not None
    listed = list_snapshots(store)
    assert [i.name for i in listed] == [second.name, third.name]
    assert listed[0].problem is not None  # it needed the damaged one, as before
    (share / "top.txt").write_text("fourth\n")
    assert snapshot(share, store, keep_newest=2).snapshot is not None
