"""Detached sessions on rootless Podman, run by the test user: outlive the CLI, attach, stop, SIGKILL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kanibako_runtime import LOCK_FILE_NAME, lock_holder
from tests.detached_checks import attach_runs_the_shell_and_detaches, kill_supervisor
from tests.launch_helpers import wait_for
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def _project(rootless: RootlessUser, name: str) -> Path:
    path = rootless.root / "projects" / name
    path.mkdir()
    subprocess.run(["chown", f"{rootless.uid}:{rootless.uid}", str(path)], check=True)
    return path


def _states(rootless: RootlessUser, project: Path) -> list[str]:
    listed = rootless.kanibako(project, "ps", "--json")
    assert listed.returncode == 0, listed.stderr.decode()
    return [row["state"] for row in json.loads(listed.stdout) if row["project"] == str(project)]


def _start(rootless: RootlessUser, project: Path, image: str) -> None:
    started = rootless.kanibako(project, "shell", "-i", image, "-d")
    assert started.returncode == 0, started.stderr.decode()
    assert "kanibako attach" in started.stderr.decode()


def test_rootless_detached_session_outlives_its_cli_attaches_detaches_and_stops(
    rootless: RootlessUser, busybox_image: str
) -> None:
    project = _project(rootless, "detached")
    _start(rootless, project, busybox_image)
    try:
        assert rootless.session_containers(project)  # the CLI is gone; the session is not
        assert _states(rootless, project) == ["detached"]
        took = attach_runs_the_shell_and_detaches(rootless.argv(project, "attach"), b"$")
        print(f"rootless attach: first bytes after {took:.3f} s")
        assert rootless.session_containers(project)  # detaching does not end it
    finally:
        rootless.kanibako(project, "stop")
    wait_for(lambda: not rootless.session_containers(project), timeout=60, what="stop")
    assert _states(rootless, project) == []


def test_rootless_supervisor_killed_outright_leaves_no_container_and_no_lock(
    rootless: RootlessUser, busybox_image: str
) -> None:
    project = _project(rootless, "killed")
    _start(rootless, project, busybox_image)
    [lock] = [
        box / LOCK_FILE_NAME
        for box in (rootless.root / "data").glob("boxes/*")
        if f'"{project}"' in (box / "project.toml").read_text()
    ]
    try:
        kill_supervisor(lock)
        wait_for(lambda: not rootless.session_containers(project), timeout=60, what="the reaper")
    finally:
        rootless.kanibako(project, "stop")
    assert lock_holder(lock) is None
    assert _states(rootless, project) == ["resumable"]
    # The stale lock does not block the next session.
    _start(rootless, project, busybox_image)
    rootless.kanibako(project, "stop")
    wait_for(lambda: not rootless.session_containers(project), timeout=60, what="stop")
