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
