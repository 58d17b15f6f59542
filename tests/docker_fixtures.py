"""A private Docker daemon for real-engine tests (``docker_host``), registered in conftest.

It has private data and exec roots, a socket under a temp dir, no iptables or
bridge (see NOTES-containers.md), and the busybox test image loaded from
Podman. It needs Debian's ``docker.io`` (``KANIBAKO_WITH_DOCKER=1
scripts/host-setup.sh``; CI does this) and fails, never skips, without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def docker_client() -> str:
    client = shutil.which("docker")
    if client is None or shutil.which("dockerd") is None:
        pytest.fail("Docker tests need docker.io (KANIBAKO_WITH_DOCKER=1 scripts/host-setup.sh)")
    return client


@contextmanager
def private_dockerd(engine: str, images: list[str], group: str = "root") -> Iterator[str]:
    """Start a dockerd whose socket belongs to ``group``, load ``images`` from Podman: DOCKER_HOST.

    The socket sits in a directory only root and ``group`` may enter, as the
    system daemon's does for the Docker group.
    """
    if os.geteuid() != 0:
        pytest.fail("the Docker tests start their own dockerd: run them as root")
    client = docker_client()
    root = Path(tempfile.mkdtemp(prefix="kanibako-dockerd-"))
    root.chmod(0o711)
    sockets = root / "sock"
    sockets.mkdir(mode=0o750)
    shutil.chown(sockets, group=group)
    host = f"unix://{sockets}/docker.sock"
    log = (root / "dockerd.log").open("wb")
    daemon = subprocess.Popen(
        [
            "dockerd", "--iptables=false", "--ip-masq=false", "--bridge=none",
            "--storage-driver", "overlay2", "--host", host, "--group", group,
            "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "docker.pid"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    env = {**os.environ, "DOCKER_HOST": host}
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(
            [client, "info"], env=env, capture_output=True, check=False
        ).returncode:
            if daemon.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dockerd did not start: {(root / 'dockerd.log').read_text()[-2000:]}")
            time.sleep(0.2)
        for image in images:
            saved = subprocess.Popen([engine, "save", image], stdout=subprocess.PIPE)
            subprocess.run(
                [client, "load"], stdin=saved.stdout, env=env, check=True, capture_output=True
            )
            assert saved.stdout is not None
            saved.stdout.close()
            assert saved.wait() == 0
        yield host
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def docker_host(engine: str, busybox_image: str) -> Iterator[str]:
    """DOCKER_HOST of a private dockerd holding the busybox test image."""
    with private_dockerd(engine, [busybox_image]) as host:
        yield host


@pytest.fixture
def docker_project(isolated_home: Path, docker_host: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory, with kanibako pointed at the private dockerd."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    monkeypatch.setenv("KANIBAKO_ENGINE", "docker")
    path = isolated_home / "proj"
    path.mkdir()
    return path
