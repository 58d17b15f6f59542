"""A session's life: one per project, stoppable from anywhere, cleaned up on signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kanibako.session.layout import container_name
from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, lock_holder
from tests.launch_helpers import (
    ENGINE,
    finish,
    kanibako,
    parent_pid,
    reap,
    session_containers,
    start_session,
    wait_for,
)

pytestmark = pytest.mark.integration


def _project(home: Path, name: str) -> Path:
    path = home / name
    path.mkdir()
    return path


def _background(project: Path, image: str, script: str) -> subprocess.Popen[str]:
    return start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", image, "-c", f"sh -c '{script}'"
    )


def _lock_free(project: Path) -> bool:
    box = resolve_project(load_paths(), project).metadata_dir
    return lock_holder(box / LOCK_FILE_NAME) is None


def _supervisor(project: Path) -> int:
    box = resolve_project(load_paths(), project).metadata_dir
    holder = lock_holder(box / LOCK_FILE_NAME)
    assert holder is not None and holder.pid is not None
    return holder.pid


def _running(project: Path) -> bool:
    return bool(session_containers(project))


def test_second_session_is_refused_at_once_and_the_first_carries_on(
    isolated_home: Path, busybox_image: str
) -> None:
    project = _project(isolated_home, "proj")
    first = _background(project, busybox_image, "sleep 3; echo finished > done.txt")
    try:
        wait_for(lambda: _running(project), what="the first session's container")
        started = time.monotonic()
        second = kanibako("-p", str(project), "shell", "--no-helpers", "-c", "true")
        elapsed = time.monotonic() - started
        assert second.returncode == 1
        assert "already running" in second.stderr
        # The lock is held by the session's supervisor, the CLI's child.
        supervisor = _supervisor(project)
        assert parent_pid(supervisor) == first.pid
        assert f"pid {supervisor}" in second.stderr
        assert session_containers(project)[0] in second.stderr
        assert elapsed < 1.0, f"refusal took {elapsed:.2f}s"
        shown = kanibako("-p", str(project), "status").stdout
        assert f"held (pid {supervisor}" in shown
        assert session_containers(project)[0] in shown
        status, _, err = finish(first)
    finally:
        first.kill()
    assert status == 0, err
    assert (project / "done.txt").read_text() == "finished\n"
    assert _lock_free(project) and not _running(project)
    assert "Lock:             free" in kanibako("-p", str(project), "status").stdout


def test_stop_path_and_stop_all_end_sessions_started_elsewhere(
    isolated_home: Path, busybox_image: str
) -> None:
    one, two = _project(isolated_home, "one"), _project(isolated_home, "two")
    first = _background(one, busybox_image, "sleep 60")
    second = _background(two, busybox_image, "sleep 60")
    try:
        wait_for(lambda: _running(one) and _running(two), what="both sessions")
        done = kanibako("stop", str(one))
        assert done.returncode == 0, done.stderr
        assert "stopped kanibako-one-" in done.stdout
        status, _, _ = finish(first)
        assert status != 0
        assert _lock_free(one) and not _running(one)
        assert _running(two) and not _lock_free(two)

        done = kanibako("stop", "--all", "--json")
        assert done.returncode == 0, done.stderr
        (stopped,) = json.loads(done.stdout)
        assert stopped["name"].startswith("kanibako-two-")
        assert stopped["workspace"] == str(two)
        finish(second)
        assert _lock_free(two) and not _running(two)
        assert "no running Kanibako session" in kanibako("stop", str(two)).stdout
    finally:
        first.kill()
        second.kill()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_signals_stop_the_container_and_release_the_lock(
    isolated_home: Path, busybox_image: str, signum: int
) -> None:
    project = _project(isolated_home, "proj")
    session = _background(project, busybox_image, "sleep 60")
    try:
        wait_for(lambda: _running(project), what="the session's container")
        session.send_signal(signum)
        status, _, err = finish(session, timeout=20)
    finally:
        session.kill()
    assert status == 128 + signum, err
    assert "Traceback" not in err
    assert not _running(project)
    assert _lock_free(project)


def test_a_killed_cli_leaves_the_session_whole(isolated_home: Path, busybox_image: str) -> None:
    project = _project(isolated_home, "proj")
    killed = _background(project, busybox_image, "sleep 4; echo finished > done.txt")
    wait_for(lambda: _running(project), what="the session's container")
    supervisor = _supervisor(project)
    killed.kill()  # SIGKILL: the CLI is gone, its supervisor is not
    reap(killed)
    assert _running(project) and _supervisor(project) == supervisor
    wait_for((project / "done.txt").exists, what="the session to finish its work")
    wait_for(lambda: _lock_free(project) and not _running(project), what="the session's end")
    assert (project / "done.txt").read_text() == "finished\n"


def test_a_killed_supervisor_takes_its_container_with_it(
    isolated_home: Path, busybox_image: str
) -> None:
    project = _project(isolated_home, "proj")
    session = _background(project, busybox_image, "sleep 60")
    try:
        wait_for(lambda: _running(project), what="the session's container")
        os.kill(_supervisor(project), signal.SIGKILL)  # none of kanibako's own cleanup runs
        status, _, err = finish(session, timeout=20)
    finally:
        session.kill()
    assert status == 1
    last = err.strip().splitlines()[-1]  # after the image's own warnings (no python3)
    assert "the session's supervisor" in last and "died" in last, err
    assert "Traceback" not in err
    assert _lock_free(project)  # the kernel released the lock
    # The engine client got the parent-death signal and ended the container.
    wait_for(lambda: not _running(project), what="the orphaned container to end")


def test_a_container_left_by_a_dead_session_is_removed_by_the_next(
    isolated_home: Path, busybox_image: str
) -> None:
    project = _project(isolated_home, "proj")
    name = container_name(resolve_project(load_paths(), project))
    # What a session killed on a host without setpriv leaves behind.
    subprocess.run(
        [ENGINE, "run", "-d", "--rm", "--name", name, "--label", f"io.kanibako.workspace={project}",
         busybox_image, "sleep", "60"],
        check=True, capture_output=True,
    )  # fmt: skip
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", "echo again"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "again\n"
    assert f"removed {name}, left running by a session that died" in done.stderr
    assert not _running(project)
