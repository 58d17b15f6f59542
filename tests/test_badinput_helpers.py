"""A damaged helper session file: one line naming it, never a traceback or a hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kanibako_helpers.session_dir import hub_dir
from tests.state_cli import installed, ok


@pytest.mark.parametrize("kind", ["not utf-8", "fifo"])
def test_damaged_director_token_file_is_named(
    isolated_home: Path, tmp_path: Path, kind: str
) -> None:
    # Before: non-UTF-8 bytes gave a UnicodeDecodeError traceback and a FIFO
    # hung `helper list` / `helper send`.
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    digest = ok("box", "get", "project_hash", cwd=project).strip()
    # Where the CLI looks (a deep test runtime dir falls back to a short one).
    token = hub_dir(digest) / "director.toml"
    if kind == "fifo":
        os.mkfifo(token)
    else:
        token.write_bytes(b'token = "\xff"\n')
    for args in (["helper", "list"], ["helper", "send", "1", "hi"]):
        result = installed(*args, cwd=project, timeout=20)
        assert result.returncode == 1, result
        assert result.stderr.startswith(f"kanibako: {token}: "), result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_helper_log_that_is_a_fifo_is_named_not_a_hang(isolated_home: Path, tmp_path: Path) -> None:
    # Before: `helper log` waited forever for a writer.
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    digest = ok("box", "get", "project_hash", cwd=project).strip()
    log = isolated_home / ".local/share/kanibako/helper-logs" / f"{digest}.jsonl"
    log.parent.mkdir(parents=True)
    os.mkfifo(log)
    result = installed("helper", "log", cwd=project, timeout=20)
    assert result.returncode == 1, result
    assert result.stderr == f"kanibako: {log}: not a regular file\n", result.stderr
