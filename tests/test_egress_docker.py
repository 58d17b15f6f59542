"""Egress on Docker (a private dockerd, see tests/docker_fixtures.py): the same attacks hold."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docker_fixtures import docker_client
from tests.egress_checks import (
    PROBE,
    PROBE_IN_BOX,
    check_allowlist_results,
    check_session_end,
    host_addresses,
    run_allowlist_session,
)
from tests.launch_helpers import kanibako, start_session

pytestmark = pytest.mark.integration


def _load_into_docker(engine: str, image: str, docker_host: str) -> None:
    env = {**os.environ, "DOCKER_HOST": docker_host}
    saved = subprocess.Popen([engine, "save", image], stdout=subprocess.PIPE)
    subprocess.run([docker_client(), "load"], stdin=saved.stdout, env=env, check=True,
                   capture_output=True)  # fmt: skip
    assert saved.stdout is not None
    saved.stdout.close()
    assert saved.wait() == 0


@pytest.fixture
def project(
    isolated_home: Path, docker_host: str, engine: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A Docker project holding the probe."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    monkeypatch.setenv("KANIBAKO_ENGINE", "docker")
    path = isolated_home / "proj"
    path.mkdir()
    shutil.copy(PROBE, path / PROBE.name)
    return path


def test_docker_allowlist_holds(
    project: Path, docker_host: str, engine: str, python_image: str, remote: int
) -> None:
    _load_into_docker(engine, python_image, docker_host)
    probe = f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}"
    found, err = run_allowlist_session(
        project,
        remote,
        lambda: start_session(
            "-p", str(project), "shell", "--no-helpers", "-i", python_image, "-c", probe
        ),
        lambda *args: kanibako("-p", str(project), "net", *args),
    )
    check_allowlist_results(found, remote)
    check_session_end(err, lambda *args: kanibako("-p", str(project), "net", *args), remote)
