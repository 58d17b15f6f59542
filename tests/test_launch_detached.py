"""Detached sessions on a real engine: outlive the CLI, attach through a pty, detach, refuse a second."""

from __future__ import annotations

import json
import os
import pty
import select
import time
from pathlib import Path

import pytest

from tests.launch_helpers import KANIBAKO, kanibako, session_containers, wait_for

pytestmark = pytest.mark.integration


def _read(fd: int, seconds: float, until: bytes | None = None) -> bytes:
    got = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (until is None or until not in got):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            got += data
    return got


def test_a_detached_session_outlives_its_cli_and_is_attached_through_a_pty(
    isolated_home: Path, debian_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    started = kanibako("-p", str(project), "shell", "--no-helpers", "-i", debian_image, "-d")
    assert started.returncode == 0, started.stderr
    assert "kanibako attach" in started.stderr
    try:
        assert session_containers(project)  # the CLI is gone; the session is not
        rows = json.loads(kanibako("ps", "--json").stdout)
        assert [(r["project"], r["state"]) for r in rows] == [(str(project), "detached")]
        again = kanibako("-p", str(project), "shell", "--no-helpers", "-i", debian_image, "-d")
        assert again.returncode == 2 and "already running" in again.stderr
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(KANIBAKO, [KANIBAKO, "-p", str(project), "attach"])  # noqa: S606
        asked = time.monotonic()
        first = _read(fd, 5, until=b"#")
        assert first, "nothing on the terminal after attach"
        print(f"attach: first bytes after {time.monotonic() - asked:.3f} s")
        os.write(fd, b"echo hello-$((6*7))\r")
        assert b"hello-42" in _read(fd, 5, until=b"hello-42")
        os.write(fd, b"\x1d")  # Ctrl-]: detach
        assert b"detached" in _read(fd, 5, until=b"detached")
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        assert os.waitstatus_to_exitcode(status) == 0
        assert session_containers(project)  # detaching does not end it
    finally:
        kanibako("-p", str(project), "stop")
    wait_for(lambda: not session_containers(project), what="stop to end the detached session")
    nothing = kanibako("-p", str(project), "attach")
    assert nothing.returncode == 2 and nothing.stderr.count("\n") == 1, nothing.stderr


def test_detach_with_a_command_that_ends_at_once_is_one_line_exit_2(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "quick"
    project.mkdir()
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-d", "-c", "true"
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "ended at once" in done.stderr, done.stderr
