"""Warm standby on a real engine: fresh each time, discarded on any change, bounded by its expiry."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from kanibako.session.standby import STATE_FILE
from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, lock_holder
from tests.detached_checks import kill_supervisor
from tests.launch_helpers import ENGINE, kanibako, session_containers, start_session, wait_for

pytestmark = pytest.mark.integration

WARM = ("--keep-warm", "120")


def _box(project: Path) -> Path:
    return resolve_project(load_paths(), project).metadata_dir


def _standby(project: Path, timeout: float = 20) -> str | None:
    """The name of the project's waiting standby, once it is up (None after ``timeout`` s)."""
    state = _box(project) / STATE_FILE
    try:
        wait_for(state.exists, timeout=timeout, what="the standby")
    except AssertionError:
        return None
    return str(json.loads(state.read_text())["name"])


def _shell(project: Path, image: str, script: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return kanibako(
        "-v", "-p", str(project), "shell", "--no-helpers", "-i", image, *extra, "-c", script
    )


def _warm(done: subprocess.CompletedProcess[str]) -> bool:
    return "kanibako: warm standby:" in done.stderr


@pytest.fixture
def project(offline_project: Path) -> Path:
    # These tests are about the container. The defaults (allowlist, helpers):
    # test_launch_standby_defaults.py.
    return offline_project


def test_the_next_launch_runs_in_a_fresh_standby_and_stop_all_ends_it(
    project: Path, busybox_image: str
) -> None:
    first = _shell(project, busybox_image, "echo left > /tmp/mark; echo $HOME; exit 3", *WARM)
    assert first.returncode == 3, first.stderr
    assert not _warm(first) and first.stdout.strip() == "/home/agent"
    waiting = _standby(project)
    assert waiting and waiting in session_containers(project)
    second = _shell(project, busybox_image, "cat /tmp/mark || echo fresh; pwd; exit 4", *WARM)
    assert second.returncode == 4, second.stderr
    assert _warm(second) and waiting in second.stderr
    assert second.stdout.split() == ["fresh", "/home/agent/workspace"]
    # The used standby goes; a new one (another container) waits.
    following = _standby(project)
    assert following and following != waiting
    wait_for(lambda: waiting not in session_containers(project), what="the used standby gone")
    stopped = kanibako("stop", "--all")
    assert following in stopped.stdout, stopped.stdout
    wait_for(lambda: not session_containers(project), what="stop --all to end the standby")


def test_a_change_between_sessions_launches_cold_and_is_seen(
    project: Path, busybox_image: str, debian_image: str
) -> None:
    assert _shell(project, busybox_image, "true", *WARM).returncode == 0
    first = _standby(project)
    assert kanibako("-p", str(project), "env", "set", "GREETING", "hello").returncode == 0
    changed_env = _shell(project, busybox_image, 'echo "$GREETING"', *WARM)
    assert not _warm(changed_env) and changed_env.stdout.strip() == "hello", changed_env.stderr
    wait_for(lambda: first not in session_containers(project), what="the outdated standby gone")
    assert _standby(project)
    changed_image = _shell(project, debian_image, "cat /etc/debian_version", *WARM)
    assert not _warm(changed_image) and changed_image.stdout.strip()[:2].isdigit()
    assert _standby(project)
    same_again = _shell(project, debian_image, 'echo "$GREETING"', *WARM)
    assert _warm(same_again) and same_again.stdout.strip() == "hello"
    # keep_warm 0: no standby is used, none is left.
    assert _standby(project)
    off = _shell(project, debian_image, "true", "--keep-warm", "0")
    assert not _warm(off)
    kanibako("stop", "--all")
    wait_for(lambda: not session_containers(project), what="stop --all")


def test_a_killed_supervisor_leaves_no_container_past_the_expiry_and_no_lock(
    project: Path, busybox_image: str
) -> None:
    expiry = 20
    warm = ("--keep-warm", str(expiry))
    assert _shell(project, busybox_image, "true", *warm).returncode == 0
    prepared = time.monotonic()
    waiting = _standby(project)
    session = start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, *warm, "-c", "sleep 300"
    )
    try:
        box = _box(project)
        wait_for(lambda: lock_holder(box / LOCK_FILE_NAME) is not None, what="the session")
        time.sleep(1)
        kill_supervisor(box / LOCK_FILE_NAME)  # SIGKILL: none of its cleanup runs
        session.wait(timeout=10)
    finally:
        for pipe in (session.stdout, session.stderr):
            if pipe is not None:
                pipe.close()
    assert lock_holder(box / LOCK_FILE_NAME) is None  # the kernel drops it with the supervisor
    assert waiting in session_containers(project)  # the session's container is the standby
    left = expiry - (time.monotonic() - prepared)
    wait_for(
        lambda: not session_containers(project),
        timeout=left + 15,
        what=f"the container to end at its expiry ({expiry} s)",
    )


def test_gc_removes_a_waiting_standby(project: Path, busybox_image: str) -> None:
    assert _shell(project, busybox_image, "true", *WARM).returncode == 0
    waiting = _standby(project)
    assert waiting
    done = kanibako("gc", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    wait_for(lambda: waiting not in session_containers(project), what="gc to end the standby")


def test_a_negative_or_odd_keep_warm_is_one_line_exit_2(project: Path) -> None:
    for value in ("-5", "soon"):
        done = kanibako("-p", str(project), "shell", "--keep-warm", value, "-c", "true")
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "keep_warm" in done.stderr, done.stderr


def test_standby_memory_is_reported(project: Path, busybox_image: str) -> None:
    """Not a limit: the number goes in the report (``-s`` shows it)."""
    assert _shell(project, busybox_image, "true", *WARM).returncode == 0
    waiting = _standby(project)
    assert waiting
    stats = subprocess.run(
        [ENGINE, "stats", "--no-stream", "--format", "{{.MemUsage}}", waiting],
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"standby {waiting} memory: {stats.stdout.strip() or stats.stderr.strip()}")
    kanibako("stop", "--all")
    wait_for(lambda: not session_containers(project), what="stop --all")


def test_ps_shows_attached_and_warm_and_stop_all_spares_other_users(
    project: Path, busybox_image: str
) -> None:
    others = "kanibako-test-other-user"
    subprocess.run(
        [ENGINE, "run", "-d", "--rm", "--name", others, "--label", "io.kanibako.session=x",
         "--label", "io.kanibako.owner=4242", "--label", "io.kanibako.role=director",
         busybox_image, "sleep", "60"],
        check=True, capture_output=True,
    )  # fmt: skip
    session = start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, *WARM, "-c", "sleep 30"
    )
    try:
        wait_for(lambda: session_containers(project), what="the session")
        rows = json.loads(kanibako("ps", "--json").stdout)
        assert [(r["project"], r["mode"], r["state"]) for r in rows] == [
            (str(project), "shell", "attached")
        ]
        stopped = kanibako("stop", "--all")
        assert others not in stopped.stdout and others in session_containers()
        session.wait(timeout=30)
        # Ended by `stop`: no standby follows; a session that ends by itself leaves one.
        assert _standby(project, timeout=3) is None
        assert _shell(project, busybox_image, "true", *WARM).returncode == 0
        waiting = _standby(project)
        rows = json.loads(kanibako("ps", "--json").stdout)
        assert [(r["state"], r["mode"], r["container"]) for r in rows] == [("warm", "", waiting)]
        assert rows[0]["image"].endswith(
            busybox_image.rsplit("/", maxsplit=1)[-1].split(":", maxsplit=1)[0] + ":latest"
        )
    finally:
        subprocess.run([ENGINE, "rm", "-f", "-t", "0", others], capture_output=True, check=False)
        for pipe in (session.stdout, session.stderr):
            if pipe is not None:
                pipe.close()
    kanibako("stop", "--all")
    wait_for(lambda: not session_containers(project), what="stop --all")
