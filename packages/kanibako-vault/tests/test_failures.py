"""Failures midway (a full disk, a bad store) leave the directory and the listing as they were."""

from __future__ import annotations

import errno
import importlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from kanibako_vault import (
    VaultError,
    VaultUsageError,
    archive_write,
    list_snapshots,
    restore,
    snapshot,
)
from kanibako_vault.report import TerminalProgress

Tree = dict[str, tuple[str, int, bytes]]
# The package re-exports the function ``restore``, which hides the module of that name.
restore_module = importlib.import_module("kanibako_vault.restore")


class _FullDiskOs:
    """``os`` as archive_write sees it, except that new archives land on /dev/full."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def open(path: Any, flags: int, mode: int = 0o777) -> int:
        return os.open("/dev/full", os.O_WRONLY | os.O_CLOEXEC)


def test_full_disk_during_snapshot_is_one_error_and_lists_nothing(
    vault: tuple[Path, Path],
    compressor: str,
    monkeypatch: pytest.MonkeyPatch,
    state: Callable[[Path], Tree],
) -> None:
    share, store = vault
    (share / "big.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    before = state(share)
    monkeypatch.setattr(archive_write, "os", _FullDiskOs())
    with pytest.raises(VaultError) as failure:
        snapshot(share, store, compression=compressor)
    assert "No space left on device" in str(failure.value)
    assert state(share) == before
    assert list_snapshots(store) == []
    assert not list(store.glob(".tmp-*"))


def test_full_disk_midway_through_restore_leaves_directory_untouched(
    vault: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    state: Callable[[Path], Tree],
    no_leftovers: None,
) -> None:
    share, store = vault
    info = snapshot(share, store).snapshot
    assert info is not None
    (share / "top.txt").write_text("the newest work\n")
    before = state(share)
    written: list[str] = []
    real_write = restore_module.write_file

    def write_then_fail(root: Path, entry: Any, content: IO[bytes]) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(entry.path)
        real_write(root, entry, content)

    monkeypatch.setattr(restore_module, "write_file", write_then_fail)
    with pytest.raises(OSError, match="No space left"):
        restore(share, store, info.name)
    assert written and state(share) == before


def test_store_inside_the_directory_is_refused(vault: tuple[Path, Path]) -> None:
    share, _ = vault
    with pytest.raises(VaultUsageError, match="must not be inside"):
        snapshot(share, share / ".snapshots")
    with pytest.raises(VaultUsageError, match="must not be inside"):
        restore(share, share / ".snapshots", "20260101T000000.000000Z")


def test_progress_counts_every_byte_of_stored_content(vault: tuple[Path, Path]) -> None:
    share, store = vault
    seen: list[tuple[int, int]] = []
    info = snapshot(share, store, progress=lambda done, total: seen.append((done, total))).snapshot
    assert info is not None
    total = sum(p.stat().st_size for p in share.rglob("*") if p.is_file() and not p.is_symlink())
    assert seen[-1] == (total, total)
    restored: list[tuple[int, int]] = []
    restore(share, store, info.name, progress=lambda done, total: restored.append((done, total)))
    assert restored[-1] == (total, total)


def test_terminal_progress_draws_and_erases_one_line() -> None:
    out = io.StringIO()
    shown = TerminalProgress("snap", out, delay=0)
    shown(512, 1024)
    shown(1024, 1024)
    shown.close()
    assert "snap 100% (1.0 KiB of 1.0 KiB)" in out.getvalue()
    assert out.getvalue().endswith("\r\x1b[K") and "\n" not in out.getvalue()


def test_terminal_progress_stays_quiet_for_work_under_a_second() -> None:
    out = io.StringIO()
    shown = TerminalProgress("snap", out)
    shown(512, 1024)
    shown(1024, 1024)
    shown.close()
    assert out.getvalue() == ""


def test_terminal_progress_appears_once_the_work_takes_over_its_delay() -> None:
    out = io.StringIO()
    shown = TerminalProgress("snap", out, delay=0.05)
    shown(100, 1024)
    assert out.getvalue() == ""
    time.sleep(0.06)
    shown(512, 1024)
    assert "snap 50%" in out.getvalue()


def test_a_restore_killed_between_its_renames_is_undone_by_the_next_run(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    want = state(share)
    parked = share.parent / f".{share.name}.old-1234abcd"
    half_built = share.parent / f".{share.name}.restore-xyz"
    share.rename(parked)
    half_built.mkdir()
    (half_built / "partial").write_text("half")
    snapshot(share, store)
    assert state(share) == want
    assert not parked.exists() and not half_built.exists()


def test_unreadable_directory_is_left_out_not_fatal(
    vault: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads everything, so the refusal a normal user would meet is simulated.
    share, store = vault
    locked = os.fsencode(share / "docs" / "deep")
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if path == locked:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = snapshot(share, store)
    assert result.snapshot is not None
    assert result.skipped == ("docs/deep",)


def test_unreadable_file_is_left_out_and_does_not_force_a_snapshot_every_time(
    vault: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads everything, so the refusal a normal user would meet is simulated.
    share, store = vault
    (share / "secret").write_text("chmod 000 by the agent")
    snapshot_module = importlib.import_module("kanibako_vault.snapshot")
    real_access = os.access
    monkeypatch.setattr(
        snapshot_module.os,
        "access",
        lambda path, mode: not str(path).endswith("/secret") and real_access(path, mode),
    )
    first = snapshot(share, store)
    assert first.snapshot is not None and first.skipped == ("secret",)
    again = snapshot(share, store)
    assert again.snapshot is None and again.skipped == ("secret",)
