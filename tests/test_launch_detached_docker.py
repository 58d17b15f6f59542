"""Detached sessions on Docker (a private dockerd): outlive the CLI, attach, stop, SIGKILL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, Engine, list_containers, lock_holder
from tests.detached_checks import attach_runs_the_shell_and_detaches, kill_supervisor
from tests.docker_fixtures import docker_client
from tests.launch_helpers import KANIBAKO, kanibako, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def project(docker_project: Path) -> Path:
    return docker_project


def _containers(project: Path) -> list[str]:
    engine = Engine("docker", docker_client(), remote=True)
    return [c.name for c in list_containers(engine, {"io.kanibako.workspace": str(project)})]


def _states(project: Path) -> list[str]:
    listed = kanibako("ps", "--json")
    assert listed.returncode == 0, listed.stderr
    return [row["state"] for row in json.loads(listed.stdout) if row["project"] == str(project)]


def _start(project: Path, image: str) -> None:
    started = kanibako("-p", str(project), "shell", "-i", image, "-d")
    assert started.returncode == 0, started.stderr


def test_docker_detached_session_outlives_its_cli_attaches_detaches_and_stops(
    project: Path, busybox_image: str
) -> None:
    _start(project, busybox_image)
    try:
        assert _containers(project)  # the CLI is gone; the session is not
        assert _states(project) == ["detached"]
        took = attach_runs_the_shell_and_detaches([KANIBAKO, "-p", str(project), "attach"], b"#")
        print(f"docker attach: first bytes after {took:.3f} s")
        assert _containers(project)  # detaching does not end it
    finally:
        kanibako("-p", str(project), "stop")
    wait_for(lambda: not _containers(project), timeout=60, what="stop")
    assert _states(project) == []


def test_docker_supervisor_killed_outright_leaves_no_container_and_no_lock(
    project: Path, busybox_image: str
) -> None:
    _start(project, busybox_image)
    lock = resolve_project(load_paths(), project).metadata_dir / LOCK_FILE_NAME
    try:
        kill_supervisor(lock)
        wait_for(lambda: not _containers(project), timeout=60, what="the reaper")
    finally:
        kanibako("-p", str(project), "stop")
    assert lock_holder(lock) is None
    assert _states(project) == ["resumable"]
    _start(project, busybox_image)  # the stale lock does not block the next session
    kanibako("-p", str(project), "stop")
    wait_for(lambda: not _containers(project), timeout=60, what="stop")
