"""Running the real ``kanibako`` command in tests, and watching its sessions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

KANIBAKO = str(Path(sys.executable).with_name("kanibako"))
ENGINE = os.environ.get("KANIBAKO_TEST_ENGINE", "podman")

# A director script (run in the session) spawning helper 1, waiting for it, cleaning it up.
CLEANUP_DIRECTOR = r"""
set -e
kb="python3 $HOME/.local/bin/kanibako"
$kb helper spawn
n=0
until $kb helper list | grep -q running; do
  n=$((n + 1)); [ "$n" -lt 200 ] || { echo "helper 1 never ran" >&2; exit 3; }
  sleep 0.1
done
$kb helper cleanup 1
echo cleaned
"""


def kanibako(
    *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``kanibako ARGS`` to its end (no terminal: stdin is empty)."""
    return subprocess.run(
        [KANIBAKO, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_session(*args: str) -> subprocess.Popen[str]:
    """Start ``kanibako ARGS`` in the background (its own process group, like a terminal)."""
    return subprocess.Popen(
        [KANIBAKO, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def session_containers(workspace: Path | None = None) -> list[str]:
    """Names of running kanibako session containers (of one workspace, or all)."""
    done = subprocess.run(
        [ENGINE, "ps", "--filter", "label=io.kanibako.session", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(done.stdout or "[]")
    return [
        row["Names"][0]
        for row in rows
        if workspace is None or row["Labels"].get("io.kanibako.workspace") == str(workspace)
    ]


def wait_for(predicate: object, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``predicate()`` until true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def finish(process: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str, str]:
    """Wait for a background session; its status, stdout and stderr."""
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def reap(process: subprocess.Popen[str]) -> None:
    """Wait for a killed session without reading its pipes (its engine client may hold them)."""
    process.wait(timeout=10)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


USER_IMAGE = "localhost/kanibako-test-busybox-user:latest"


def ensure_user_image(engine: str, base: str) -> str:
    """busybox with an ``agent`` user (uid 1000) as its USER, like kanibako-base; cached by tag."""
    inspected = subprocess.run(
        [engine, "image", "inspect", USER_IMAGE], capture_output=True, check=False
    )
    if inspected.returncode == 0:
        return USER_IMAGE
    import tempfile

    with tempfile.TemporaryDirectory() as context:
        (Path(context) / "Containerfile").write_text(
            f"FROM {base}\n"
            "RUN echo 'agent:x:1000:1000::/home/agent:/bin/sh' >> /etc/passwd && "
            "echo 'agent:x:1000:' >> /etc/group && mkdir -p /home/agent && "
            "chown 1000:1000 /home/agent\n"
            "USER 1000\n"
        )
        subprocess.run(
            [engine, "build", "--network", "none", "-t", USER_IMAGE, context],
            check=True,
            capture_output=True,
        )
    return USER_IMAGE


def parent_pid(pid: int) -> int:
    """The parent of process ``pid``, from /proc/PID/stat ("pid (comm) state ppid ...")."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
