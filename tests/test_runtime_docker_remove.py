"""Removing a Docker container its own ``--rm`` is already removing (a private dockerd).

A helper runs with ``--rm``; stopping it and removing it at once, as the
spawner does, races the daemon's own removal, which Docker answers with
"removal of container ... is already in progress". That is not a failure:
the container goes, and ``remove`` waits for it to be gone.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from kanibako_runtime import Engine, inspect, remove, stop
from tests.docker_fixtures import docker_client

pytestmark = pytest.mark.integration

_ROUNDS = 12  # the race is not hit every time; without the fix 12 rounds failed on the first try


def test_stop_then_remove_of_an_autoremoved_container_never_fails(
    docker_host: str, busybox_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    engine = Engine("docker", docker_client(), remote=True)
    env = {**os.environ, "DOCKER_HOST": docker_host}
    for _ in range(_ROUNDS):
        name = f"kanibako-test-rm-{uuid.uuid4().hex[:8]}"
        subprocess.run(
            [docker_client(), "run", "-d", "--rm", "--name", name, busybox_image, "sleep", "60"],
            env=env, capture_output=True, check=True,
        )  # fmt: skip
        stop(engine, name, timeout=0)
        remove(engine, name)  # raised EngineCommandError when --rm was mid-way
        assert inspect(engine, name) is None
