"""The warm launcher on a real engine: a kept session leaves one; the next launch runs in its child.

And the boundary: no session container can see its socket, and a container
handed the socket anyway (a mistaken bind) is refused, though it runs as the
same user on a rootful engine.
"""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako.session.launcher import LOCK_NAME, SOCKET_NAME
from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, lock_holder
from tests.detached_checks import read_terminal
from tests.launch_helpers import (
    ENGINE,
    KANIBAKO,
    finish,
    kanibako,
    parent_pid,
    session_containers,
    start_session,
    wait_for,
)

pytestmark = pytest.mark.integration

WARM = ("--keep-warm", "120")


@pytest.fixture
def project(offline_project: Path) -> Iterator[Path]:
    yield offline_project
    kanibako("stop", "--all")  # the standbys these sessions kept, and the launcher


def _socket() -> Path:
    # The test's runtime directory, or /tmp/kanibako-UID when its paths are too long.
    from kanibako_helpers.session_dir import runtime_root

    return runtime_root() / SOCKET_NAME


def test_the_next_launch_runs_in_the_launchers_child_and_no_container_sees_it(
    project: Path, busybox_image: str
) -> None:
    shell = ("-p", str(project), "shell", "--no-helpers", "-i", busybox_image, *WARM)
    first = kanibako(*shell, "-c", "true")
    assert first.returncode == 0, first.stderr
    wait_for(_socket().exists, what="the warm launcher's socket")
    launcher = int(_socket().with_name(LOCK_NAME).read_text())
    look = "find / -name launcher.sock 2>/dev/null; echo looked; sleep 3; exit 5"
    session = start_session(*shell, "-c", look)
    try:
        box = resolve_project(load_paths(), project).metadata_dir
        wait_for(lambda: lock_holder(box / LOCK_FILE_NAME) is not None, what="the session")
        holder = lock_holder(box / LOCK_FILE_NAME)
        assert holder is not None and holder.pid is not None
        command = parent_pid(holder.pid)  # the supervisor's parent: the command's process
        assert parent_pid(command) == launcher  # ... forked by the launcher
        status, out, err = finish(session)
    finally:
        session.kill()
    assert status == 5, err
    assert out.splitlines() == ["looked"]  # the socket is in no directory a container has


_IN_CONTAINER_CLIENT = """
import socket, struct, sys
body = b"\\0".join([b"launch", sys.argv[1].encode(), b"/", b"22", b"0", b"2", b"--version", b"-v"])
s = socket.socket(socket.AF_UNIX)
s.connect("/k/launcher.sock")
try:
    socket.send_fds(s, [struct.pack("!I", len(body))], [0, 1, 2])
    s.sendall(body)
    reply = s.recv(64)
except (BrokenPipeError, ConnectionResetError):
    reply = b""  # hung up on, unread: refused
print("reply:", reply)
"""


def test_a_container_given_the_socket_is_refused(
    project: Path, busybox_image: str, python_image: str
) -> None:
    first = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, *WARM, "-c", "true"
    )
    assert first.returncode == 0, first.stderr
    wait_for(_socket().exists, what="the warm launcher's socket")
    executable = Path(ENGINE).parent  # any path: the refusal comes before it matters
    # As the host user (root here: the same uid the launcher checks), its mounts its own.
    done = subprocess.run(
        [ENGINE, "run", "--rm", "--user", "0:0", "-v", f"{_socket().parent}:/k",
         python_image, "python3", "-c", _IN_CONTAINER_CLIENT, str(executable)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "reply: b''"  # closed without a word: nothing ran
    assert "kanibako, version" not in done.stdout + done.stderr


def _kept_session(project: Path, image: str) -> tuple[str, ...]:
    """After one session that kept a standby (so the launcher runs): the launch arguments."""
    shell = ("-p", str(project), "shell", "--no-helpers", "-i", image, *WARM)
    assert kanibako(*shell, "-c", "true").returncode == 0
    wait_for(_socket().exists, what="the warm launcher's socket")
    return shell


def _holders(pipe: int) -> list[int]:
    """The processes other than this one with the pipe behind descriptor ``pipe`` open."""
    target = Path(f"/proc/self/fd/{pipe}").readlink()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if any(fd.readlink() == target for fd in (entry / "fd").iterdir()):
                found.append(int(entry.name))
    return found


def test_once_a_launched_command_exits_nothing_holds_its_stdout(
    project: Path, busybox_image: str
) -> None:
    # What `$(kanibako shell -c ...)` waits for: every writer of the pipe gone.
    shell = _kept_session(project, busybox_image)
    read_end, write_end = os.pipe()
    launched = subprocess.Popen(
        [KANIBAKO, *shell, "-c", "echo hi"], stdin=subprocess.DEVNULL, stdout=write_end
    )
    os.close(write_end)
    try:
        assert launched.wait(timeout=60) == 0
        # The next standby is starting now, forked off the session: it must not hold it.
        assert _holders(read_end) == []
        assert os.read(read_end, 100) == b"hi\n"
    finally:
        os.close(read_end)


def test_a_killed_command_lets_go_of_the_terminal_at_once(
    project: Path, busybox_image: str
) -> None:
    """What is typed once the command's process is gone belongs to the user's shell, not the box."""
    shell = _kept_session(project, busybox_image)
    pid, terminal = pty.fork()
    if pid == 0:
        os.execv(KANIBAKO, [KANIBAKO, *shell])  # noqa: S606
    try:
        assert b"#" in read_terminal(terminal, 30, until=b"#"), "no shell prompt"
        os.kill(pid, signal.SIGKILL)  # the command's own process; its launched child lives on
        os.waitpid(pid, 0)
        os.write(terminal, b"touch /home/agent/workspace/stolen\r")
        time.sleep(2)  # ample for the shell in the box to run it, were it passed on
        assert not (project / "stolen").exists()
        assert session_containers(project), "the session ended with its terminal's process"
    finally:
        os.close(terminal)
