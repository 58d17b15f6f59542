"""A restore swaps its tree in before syncing it, and keeps the replaced tree until then.

A crash cannot be staged here, so the state it leaves is: the parked tree renamed
as a crash would find it (another boot's id), the restored tree missing data.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from kanibako_vault import replacing, restore, snapshot
from kanibako_vault.replacing import UNSYNCED, current_boot, parked_trees
from kanibako_vault.store import locked_store

Tree = dict[str, tuple[str, int, bytes]]
T = TypeVar("T")

# Restores in a child whose detached process dies before its syncfs, as if killed.
_DIES_BEFORE_SYNC = """
import os, sys
from pathlib import Path
from kanibako_vault import replacing, restore

def killed(path):
    os._exit(9)

replacing.sync_filesystem = killed
restore(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], detach_cleanup=True)
"""


def _spoiled_after_snapshot(share: Path, store: Path) -> str:
    taken = snapshot(share, store).snapshot
    assert taken is not None
    (share / "top.txt").write_text("changed after the snapshot\n")
    (share / "new.txt").write_text("new\n")
    return taken.name


def _restore_whose_sync_dies(share: Path, store: Path, name: str) -> Path:
    argv = [sys.executable, "-c", _DIES_BEFORE_SYNC, str(share), str(store), name]
    subprocess.run(argv, check=True)
    with locked_store(store):  # free once the detached process is dead
        (parked,) = parked_trees(share, UNSYNCED)
    return parked


def _at_each_sync(monkeypatch: pytest.MonkeyPatch, look: Callable[[], T]) -> list[T]:
    """What ``look()`` saw just before each (real) syncfs of a restore."""
    seen: list[T] = []
    real_sync = replacing.sync_filesystem

    def watched_sync(path: Path) -> None:
        seen.append(look())
        real_sync(path)

    monkeypatch.setattr(replacing, "sync_filesystem", watched_sync)
    return seen


def test_the_replaced_tree_is_parked_until_the_restored_one_is_synced(
    vault: tuple[Path, Path],
    state: Callable[[Path], Tree],
    monkeypatch: pytest.MonkeyPatch,
    no_leftovers: None,
) -> None:
    share, store = vault
    want = state(share)
    name = _spoiled_after_snapshot(share, store)
    replaced = state(share)
    seen = _at_each_sync(
        monkeypatch, lambda: (state(share), [state(p) for p in parked_trees(share, UNSYNCED)])
    )
    restore(share, store, name)
    # One sync, with the restored tree in place and the replaced one parked whole.
    assert seen == [(want, [replaced])]
    assert state(share) == want


def test_a_restore_whose_sync_was_killed_is_kept_by_the_next_operation(
    vault: tuple[Path, Path], state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    want = state(share)
    name = _spoiled_after_snapshot(share, store)
    parked = _restore_whose_sync_dies(share, store, name)
    assert current_boot() is not None and current_boot() in parked.name
    assert state(share) == want
    # Same boot: nothing the restore wrote can be lost, so the next operation syncs
    # and deletes the parked tree; the restored tree stays.
    assert snapshot(share, store).snapshot is None
    assert state(share) == want
    assert parked_trees(share, UNSYNCED) == []


def test_after_a_crash_before_the_sync_the_tree_from_before_the_restore_is_back(
    vault: tuple[Path, Path], state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    name = _spoiled_after_snapshot(share, store)
    replaced = state(share)
    parked = _restore_whose_sync_dies(share, store, name)
    boot = current_boot()
    assert boot is not None
    after_reboot = parked.with_name(parked.name.replace(boot, "0" * 32))
    parked.rename(after_reboot)
    (share / "docs" / "a.txt").write_bytes(b"")  # data a crash can lose
    taken = snapshot(share, store).snapshot
    assert state(share) == replaced
    assert parked_trees(share, UNSYNCED) == []
    # The tree put back is snapshotted as it is, and restores as it is.
    assert taken is not None
    (share / "top.txt").write_text("later\n")
    restore(share, store, taken.name)
    assert state(share) == replaced


def test_a_crash_while_putting_the_tree_back_is_finished_by_the_next_operation(
    vault: tuple[Path, Path], state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    name = _spoiled_after_snapshot(share, store)
    replaced = state(share)
    parked = _restore_whose_sync_dies(share, store, name)
    # Put-back's first rename done (the suspect tree named done-with), not its second.
    share.rename(share.parent / f".{share.name}.old-feedf00d")
    parked.rename(share.parent / f".{share.name}.{UNSYNCED}-{'0' * 32}-12345678")
    snapshot(share, store)
    assert state(share) == replaced


def test_without_a_boot_id_the_tree_is_synced_before_the_swap(
    vault: tuple[Path, Path],
    state: Callable[[Path], Tree],
    monkeypatch: pytest.MonkeyPatch,
    no_leftovers: None,
) -> None:
    share, store = vault
    want = state(share)
    name = _spoiled_after_snapshot(share, store)
    replaced = state(share)
    monkeypatch.setattr(replacing, "_BOOT_ID", str(share / "no-such-file"))
    seen = _at_each_sync(monkeypatch, lambda: state(share))
    restore(share, store, name)
    assert seen == [replaced]  # nothing to put back after a crash: synced, then swapped
    assert state(share) == want


def test_the_boot_id_is_read_as_32_hex_digits() -> None:
    boot = current_boot()
    assert boot is not None
    assert len(boot) == 32 and int(boot, 16) >= 0
    assert Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "") == boot
