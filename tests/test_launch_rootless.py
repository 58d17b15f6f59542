"""Rootless: an ordinary user (with subuids) runs kanibako and its rootless Podman.

The user and how kanibako runs as it: tests/rootless_fixtures.py.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def _project(rootless: RootlessUser, name: str) -> Path:
    path = rootless.root / "projects" / name
    path.mkdir()
    (path / "vault" / "share-ro").mkdir(parents=True)
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(path)], check=True)
    return path


def test_rootless_session_runs_as_the_user_with_the_layout(
    rootless: RootlessUser, busybox_image: str
) -> None:
    project = _project(rootless, "proj")
    script = (
        'id -u; echo "$HOME $(pwd)"; echo kept > $HOME/note; echo made > created.txt; '
        "touch $HOME/share-ro/x 2>/dev/null && echo ro-writable; ls -A vault | wc -l"
    )
    done = rootless.kanibako(
        project, "shell", "--no-helpers", "-i", busybox_image, "-c", f"sh -c '{script}'"
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == [
        str(rootless.uid),
        "/home/agent /home/agent/workspace",
        "0",
    ]
    # keep-id: what the container wrote belongs to the user on the host.
    assert (project / "created.txt").stat().st_uid == rootless.uid
    notes = list((rootless.root / "data").glob("boxes/*/shell/note"))
    assert [n.read_text() for n in notes] == ["kept\n"]
    assert notes[0].stat().st_uid == rootless.uid

    again = rootless.kanibako(
        project,
        "shell",
        "--no-helpers",
        "-i",
        busybox_image,
        "-c",
        "sh -c 'cat $HOME/note; exit 4'",
    )
    assert again.returncode == 4, again.stderr.decode()
    assert again.stdout.decode() == "kept\n"


def _wait_for_standby(rootless: RootlessUser) -> None:
    deadline = time.monotonic() + 20
    while not list((rootless.root / "data").glob("boxes/*/standby.json")):
        assert time.monotonic() < deadline, "no standby after 20 s"
        time.sleep(0.1)


def test_rootless_warm_relaunch_is_fresh_and_runs_as_the_user(
    rootless: RootlessUser, busybox_image: str
) -> None:
    project = _project(rootless, "warm")
    # busybox has no python3 for the egress forwarder: this test is about the container.
    assert rootless.kanibako(project, "config", "network", "none").returncode == 0
    launch = ("-v", "shell", "--no-helpers", "-i", busybox_image, "--keep-warm", "120", "-c")
    first = rootless.kanibako(project, *launch, "sh -c 'echo x > /tmp/mark'")
    assert first.returncode == 0, first.stderr.decode()
    _wait_for_standby(rootless)
    second = rootless.kanibako(project, *launch, "sh -c 'id -u; cat /tmp/mark || echo fresh'")
    assert second.returncode == 0, second.stderr.decode()
    assert b"warm standby:" in second.stderr
    assert second.stdout.decode().split() == [str(rootless.uid), "fresh"]
    _wait_for_standby(rootless)
    stopped = rootless.kanibako(project, "stop", "--all")
    assert b"-warm-" in stopped.stdout, stopped.stdout


# In the warm session: the sockets bound as directories are reachable by the user
# (keep-id), egress goes through the proxy and holds, the hub answers the director.
_WARM_DEFAULTS = r"""
cat /tmp/mark 2>/dev/null || echo fresh
python3 - <<'EOF'
import urllib.error, urllib.request
for host in ("127.0.0.2", "127.0.0.3"):
    try:
        with urllib.request.urlopen(f"http://{host}:REMOTE_PORT/x", timeout=10) as reply:
            print(host, reply.status)
    except urllib.error.HTTPError as exc:
        print(host, exc.code)
EOF
python3 $HOME/.local/bin/kanibako helper list >/dev/null && echo hub answers
"""


def test_rootless_warm_relaunch_with_the_defaults_keeps_egress_and_the_hub(
    rootless: RootlessUser, python_image: str, remote: int
) -> None:
    rootless.load_image(python_image)
    project = _project(rootless, "warm-defaults")
    allowed = rootless.kanibako(project, "net", "allow", f"127.0.0.2:{remote}")
    assert allowed.returncode == 0, allowed.stderr.decode()
    launch = ("-v", "shell", "-i", python_image, "--keep-warm", "120", "-c")
    first = rootless.kanibako(project, *launch, "touch /tmp/mark")
    assert first.returncode == 0, first.stderr.decode()
    assert b"warm standby:" not in first.stderr
    _wait_for_standby(rootless)
    checks = _WARM_DEFAULTS.replace("REMOTE_PORT", str(remote))
    second = rootless.kanibako(project, *launch, checks)
    assert second.returncode == 0, second.stderr.decode()
    assert b"warm standby:" in second.stderr
    assert second.stdout.decode().splitlines() == [
        "fresh", "127.0.0.2 200", "127.0.0.3 403", "hub answers"
    ]  # fmt: skip
    _wait_for_standby(rootless)
    stopped = rootless.kanibako(project, "stop", "--all")
    assert b"-warm-" in stopped.stdout, stopped.stdout
