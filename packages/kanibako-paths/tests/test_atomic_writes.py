"""Atomic writes leave the old file intact when writing fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kanibako_paths import atomic_write_text, write_toml


def test_failed_write_keeps_old_content_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "project.toml"
    target.write_text("old = 1\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_toml(target, {"new": 2})
    assert target.read_text() == "old = 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["project.toml"]


def test_write_replaces_and_sets_mode(tmp_path: Path) -> None:
    target = tmp_path / "sub/env"
    atomic_write_text(target, "A=1\n", mode=0o600)
    assert target.read_text() == "A=1\n"
    assert target.stat().st_mode & 0o777 == 0o600
