"""A foreground session in a terminal is one attached from the start: it outlives its terminal.

Each test runs ``kanibako shell`` on a pseudo-terminal of its own (the user's
terminal), then closes it or detaches, and checks the session from outside.
"""

from __future__ import annotations

import json
import os
import pty
import time
from pathlib import Path

import pytest

from tests.detached_checks import attach_runs_the_shell_and_detaches, read_terminal
from tests.launch_helpers import KANIBAKO, kanibako, session_containers, wait_for

pytestmark = pytest.mark.integration


def _states() -> list[str]:
    rows = json.loads(kanibako("ps", "--json").stdout)
    assert [row["mode"] for row in rows] == ["shell"] * len(rows)
    return [row["state"] for row in rows]


def _in_terminal(*args: str) -> tuple[int, int]:
    argv = [KANIBAKO, *args]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)  # noqa: S606
    return pid, fd


def _exit_status(pid: int, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    raise AssertionError(f"kanibako (pid {pid}) did not exit within {timeout} s")


def test_closing_the_terminal_detaches_and_the_session_goes_on(
    isolated_home: Path, debian_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    pid, fd = _in_terminal("-p", str(project), "shell", "--no-helpers", "-i", debian_image)
    try:
        assert b"#" in read_terminal(fd, 30, until=b"#"), "no shell prompt"
        assert _states() == ["attached"]
        os.write(fd, b"echo $((6*7)) > answer; sleep 3; echo late > later\r")
        assert b"answer" in read_terminal(fd, 5, until=b"answer")
    finally:
        os.close(fd)  # the terminal closes: SIGHUP to the CLI
    try:
        _exit_status(pid)
        assert session_containers(project), "closing the terminal ended the session"
        wait_for((project / "later").exists, what="the command typed before the close")
        assert (project / "answer").read_text() == "42\n"
        assert _states() == ["detached"]
        attach_runs_the_shell_and_detaches([KANIBAKO, "-p", str(project), "attach"], b"#")
    finally:
        kanibako("-p", str(project), "stop")
    wait_for(lambda: not session_containers(project), what="stop to end the session")


def test_the_detach_key_leaves_the_session_running(isolated_home: Path, debian_image: str) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    pid, fd = _in_terminal("-p", str(project), "shell", "--no-helpers", "-i", debian_image)
    try:
        assert b"#" in read_terminal(fd, 30, until=b"#"), "no shell prompt"
        os.write(fd, b"\x1d")  # Ctrl-]
        shown = read_terminal(fd, 10, until=b"kanibako attach")
        assert b"detached" in shown and b"kanibako attach -p" in shown, shown
        assert _exit_status(pid) == 0
        assert session_containers(project)
    finally:
        os.close(fd)
        kanibako("-p", str(project), "stop")
    wait_for(lambda: not session_containers(project), what="stop to end the session")


def test_a_command_in_a_terminal_shows_its_output_and_exit_status(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    command = "sh -c 'test -t 0 && echo on-a-tty; exit 3'"
    pid, fd = _in_terminal(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", command
    )
    try:
        shown = read_terminal(fd, 30, until=b"on-a-tty")
        assert _exit_status(pid) == 3
        shown += read_terminal(fd, 1)
    finally:
        os.close(fd)
    assert b"on-a-tty" in shown, shown
    assert b"Traceback" not in shown
    assert not session_containers(project)
