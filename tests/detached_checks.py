"""What every engine's detached-session tests check: attach through a pty, detach, a killed supervisor."""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from pathlib import Path

from kanibako_runtime import lock_holder


def read_terminal(fd: int, seconds: float, until: bytes | None = None) -> bytes:
    """What the terminal at ``fd`` shows within ``seconds`` (or until ``until`` appears)."""
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


def attach_runs_the_shell_and_detaches(argv: list[str], prompt: bytes = b"") -> float:
    """Run ``argv`` (a ``kanibako attach``) on a new pty: the shell answers, Ctrl-] detaches.

    Returns the seconds until the first bytes reached the terminal.
    """
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)  # noqa: S606
    try:
        asked = time.monotonic()
        first = read_terminal(fd, 10, until=prompt or None)
        assert first, "nothing on the terminal after attach"
        took = time.monotonic() - asked
        os.write(fd, b"echo hello-$((6*7))\r")
        shown = read_terminal(fd, 10, until=b"hello-42")
        assert b"hello-42" in shown, shown
        os.write(fd, b"\x1d")  # Ctrl-]: detach
        shown = read_terminal(fd, 10, until=b"detached")
        assert b"detached" in shown, shown
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    return took


def kill_supervisor(lock: Path) -> int:
    """SIGKILL the process holding the project lock at ``lock`` (a detached supervisor)."""
    holder = lock_holder(lock)
    assert holder is not None and holder.pid, f"nobody holds {lock}"
    os.kill(holder.pid, signal.SIGKILL)
    return holder.pid
