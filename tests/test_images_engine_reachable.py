"""A stopped engine is named at once: ``kanibako setup`` fails in a second, before any long step.

The Docker daemon (or the remote Podman service) is "stopped" by pointing the
client at a real Unix socket nobody listens on any more, which is what a dead
daemon leaves behind.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


def _dead_socket(folder: Path) -> Path:
    path = folder / "engine.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.close()  # the file stays; connecting is refused, as with a crashed daemon
    return path


@pytest.mark.parametrize(
    ("kind", "variable", "says"),
    [
        ("docker", "DOCKER_HOST", "Cannot connect to the Docker daemon"),
        ("podman", "CONTAINER_HOST", "unable to connect to Podman socket"),
    ],
)
def test_setup_with_the_engine_down_is_one_line_before_any_step(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, kind: str, variable: str, says: str
) -> None:
    monkeypatch.setenv("KANIBAKO_ENGINE", kind)
    monkeypatch.setenv(variable, f"unix://{_dead_socket(isolated_home)}")
    done = kanibako("setup", timeout=30)
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"kanibako: the {kind} engine is not reachable: ")
    assert says in line
    for step in ("pulling", "building", "bootstrapping"):
        assert step not in done.stderr
