"""Hostile runtime files: commands that only look must not hang."""

from __future__ import annotations

import os
from pathlib import Path

from tests.state_cli import installed, ok


def test_status_with_a_fifo_as_session_lock_does_not_hang(
    isolated_home: Path, tmp_path: Path
) -> None:
    # Before: opening the FIFO for reading waited forever for a writer.
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    os.mkfifo(project / ".kanibako/session.lock")
    result = installed("status", cwd=project, timeout=20)
    assert result.returncode == 0, result
    assert "Lock:" in result.stdout and "free" in result.stdout


def test_status_with_a_fifo_as_the_freshness_cache_does_not_hang(
    isolated_home: Path, tmp_path: Path
) -> None:
    # Before: status read the cached registry answer with a blocking open.
    from kanibako.images.freshness import NOT_CHECKED, freshness_cache_dir
    from kanibako_paths import DEFAULT_IMAGE, sha256_hex

    project = tmp_path / "proj"
    project.mkdir()
    cache = freshness_cache_dir()
    cache.mkdir(parents=True)
    os.mkfifo(cache / (sha256_hex(DEFAULT_IMAGE.encode())[:24] + ".json"))
    result = installed("status", cwd=project, timeout=20)
    assert result.returncode == 0, result
    assert f"Image freshness:  {NOT_CHECKED}" in result.stdout
