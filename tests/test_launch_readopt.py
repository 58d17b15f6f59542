"""Re-adopting a project after a crash, on a real engine: the supervisor is killed outright.

A detached session with one helper loses its supervisor to SIGKILL (what a crash or a
reboot does to it): every container goes, the lock is free, and ``ps`` calls the project
resumable. The next ``start`` continues the director's conversation and ``helper respawn
--all`` brings the helper back continuing its own (a stand-in ``claude`` records each
run's arguments in its home).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from kanibako_paths import Project, load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, lock_holder
from tests.launch_helpers import ENGINE, kanibako, session_containers, wait_for

pytestmark = pytest.mark.integration

RUNS = "claude-runs"
# Each run appends its arguments to its own home (the director's or the helper's), then
# stays, as an agent does.
_FAKE_CLAUDE = f"""#!/bin/sh
echo "$*" >> "$HOME/{RUNS}"
exec sleep 600
"""
CONTINUE = "--continue --dangerously-skip-permissions --model opus"
FRESH = "--dangerously-skip-permissions --model opus"


def _runs(home: Path) -> list[str]:
    try:
        return (home / RUNS).read_text().splitlines()
    except FileNotFoundError:
        return []


def _wait_runs(home: Path, count: int, what: str) -> list[str]:
    wait_for(lambda: len(_runs(home)) >= count, timeout=60, what=what)
    return _runs(home)


def _rows(project: Path) -> list[dict[str, object]]:
    done = kanibako("ps", "--json")
    assert done.returncode == 0, done.stderr
    return [row for row in json.loads(done.stdout) if row["project"] == str(project)]


def _start(project: Path, image: str) -> None:
    started = kanibako("-p", str(project), "start", "-d", "-i", image, timeout=120)
    assert started.returncode == 0, started.stderr


def _project(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Project]:
    agent_bin = isolated_home / "agent-bin"
    agent_bin.mkdir()
    (agent_bin / "claude").write_text(_FAKE_CLAUDE)
    (agent_bin / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", f"{agent_bin}{os.pathsep}{os.environ['PATH']}")
    workspace = isolated_home / "proj"
    workspace.mkdir()
    return workspace, resolve_project(load_paths(), workspace)


def test_a_crashed_session_is_resumable_and_continues_director_and_helpers(
    isolated_home: Path, python_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, project = _project(isolated_home, monkeypatch)
    director_home = project.shell_dir
    helper_home = project.metadata_dir / "helper-homes" / "1"
    lock = project.metadata_dir / LOCK_FILE_NAME
    _start(workspace, python_image)
    try:
        assert _wait_runs(director_home, 1, "the director's agent") == [FRESH]
        spawned = kanibako("-p", str(workspace), "helper", "spawn", timeout=120)
        assert spawned.returncode == 0, spawned.stderr
        assert _wait_runs(helper_home, 1, "the helper's agent") == [FRESH]
        holder = lock_holder(lock)
        assert holder is not None and holder.pid
        os.kill(holder.pid, signal.SIGKILL)  # the supervisor: none of its cleanup runs
        # Nothing outlives it (the director's and the helper's reapers), and no lock is left.
        wait_for(lambda: not session_containers(workspace), timeout=60, what="every container")
        assert lock_holder(lock) is None
        [row] = _rows(workspace)
        assert (row["state"], row["mode"], row["helpers"]) == ("resumable", "start", 1), row
        listed = kanibako("-p", str(workspace), "helper", "list", "--json")
        assert [(h["helper"], h["status"]) for h in json.loads(listed.stdout)] == [
            (1, "interrupted")
        ], listed.stdout + listed.stderr

        _start(workspace, python_image)  # the stale lock does not block it
        assert _wait_runs(director_home, 2, "the director's second run") == [FRESH, CONTINUE]
        log = (project.metadata_dir / "session.log").read_text()
        assert "died without ending" in log, log
        # What a dead session leaves where no reaper could act (a host without /bin/sh):
        # a container of the helper's name. The respawn removes it and starts afresh.
        left = f"kanibako-helper-{project.project_hash[:8]}-1"
        subprocess.run([ENGINE, "run", "-d", "--name", left, python_image, "sleep", "60"],
                       check=True, capture_output=True)  # fmt: skip
        again = kanibako("-p", str(workspace), "helper", "respawn", "--all", timeout=120)
        assert again.returncode == 0, again.stderr
        assert again.stdout == "respawned helper 1\n"
        assert _wait_runs(helper_home, 2, "the helper's second run") == [FRESH, CONTINUE]
        [row] = _rows(workspace)
        assert (row["state"], row["helpers"]) == ("detached", 1), row
        none_left = kanibako("-p", str(workspace), "helper", "respawn", "--all")
        assert none_left.stdout == "no interrupted helper\n", none_left.stderr
    finally:
        kanibako("-p", str(workspace), "stop")
    wait_for(lambda: not session_containers(workspace), timeout=60, what="stop")
    assert _rows(workspace) == []  # ended, not died: nothing to resume
