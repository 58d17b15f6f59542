"""status_lines: the lock and its container, shown only while a session holds the lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kanibako.session import status_lines
from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, ProjectLock


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "w").mkdir()
    paths = load_paths()
    return paths, resolve_project(paths, tmp_path / "w")


def test_free_project_shows_no_lock_and_no_container(project) -> None:  # type: ignore[no-untyped-def]
    paths, proj = project
    assert status_lines(paths, proj) == [("lock", "free"), ("container", "not running")]


def test_held_lock_names_the_session(project) -> None:  # type: ignore[no-untyped-def]
    paths, proj = project
    lock = ProjectLock(proj.metadata_dir / LOCK_FILE_NAME)
    lock.acquire(container="kanibako-w-1234")
    try:
        lines = dict(status_lines(paths, proj))
        assert lines["lock"].startswith("held (pid ")
        assert lines["container"] == "kanibako-w-1234"
    finally:
        lock.release()
    assert dict(status_lines(paths, proj))["lock"] == "free"


def test_a_session_that_died_shows_as_resumable(project) -> None:  # type: ignore[no-untyped-def]
    paths, proj = project
    lock = proj.metadata_dir / LOCK_FILE_NAME
    code = (
        "import os; from pathlib import Path; from kanibako_runtime import ProjectLock;"
        f"ProjectLock(Path({str(lock)!r})).acquire(container='kanibako-w-1'); os.kill(os.getpid(), 9)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == -9
    lines = dict(status_lines(paths, proj))
    assert lines["lock"].startswith("free (the last session died: pid ")
    assert lines["lock"].endswith("; resumable)")
    assert lines["container"] == "not running"


def test_importing_status_lines_loads_no_engine_code() -> None:
    code = (
        "import sys, kanibako.session as l; "
        "bad = [m for m in ('kanibako_runtime', 'subprocess', 'kanibako.session.run') "
        "if m in sys.modules]; print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
