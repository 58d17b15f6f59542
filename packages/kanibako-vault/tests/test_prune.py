"""Pruning keeps the newest snapshots, and every kept one stays restorable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_vault import VaultUsageError, list_snapshots, prune, restore, snapshot

Tree = dict[str, tuple[str, int, bytes]]


def _history(
    share: Path, store: Path, state: Callable[[Path], Tree], count: int
) -> list[tuple[str, Tree]]:
    made = []
    for i in range(count):
        (share / "top.txt").write_text(f"version {i}\n")
        (share / f"added-{i}.txt").write_text(str(i))
        info = snapshot(share, store).snapshot
        assert info is not None
        made.append((info.name, state(share)))
    return made


def test_keep_n_keeps_the_newest_and_they_still_restore(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    made = _history(share, store, state, 4)
    result = prune(store, 2)
    assert result.deleted == (made[0][0], made[1][0])
    assert result.rebased == (made[2][0],)  # its parent went; it became self-contained
    listed = list_snapshots(store)
    assert [i.name for i in listed] == [made[2][0], made[3][0]]
    assert listed[0].full and not listed[1].full
    for name, want in made[2:]:
        restore(share, store, name)
        assert state(share) == want


def test_keep_zero_deletes_them_all(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    _history(share, store, state, 3)
    assert len(prune(store, 0).deleted) == 3
    assert list_snapshots(store) == []


def test_keep_more_than_exist_deletes_nothing(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    _history(share, store, state, 2)
    assert prune(store, 5).deleted == ()
    assert len(list_snapshots(store)) == 2


def test_negative_keep_is_a_user_error(vault: tuple[Path, Path]) -> None:
    share, store = vault
    snapshot(share, store)
    with pytest.raises(VaultUsageError, match="--keep"):
        prune(store, -1)
    assert len(list_snapshots(store)) == 1


def test_pruning_a_missing_store_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(VaultUsageError, match="does not exist"):
        prune(tmp_path / "nope", 1)
