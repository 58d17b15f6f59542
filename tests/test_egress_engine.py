"""Egress on the real engine (rootful Podman here; rootless and Docker in their own modules).

A server on the host's addresses stands in for the internet. From inside a real
session, tests/egress_probe.py attacks the way out; the host checks what got
through, the decision log and the session's last stderr line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.egress_checks import (
    PROBE,
    PROBE_IN_BOX,
    check_allowlist_results,
    check_logged,
    host_addresses,
    parse_probe,
    run_allowlist_session,
)
from tests.launch_helpers import kanibako, start_session

pytestmark = pytest.mark.integration


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    shutil.copy(PROBE, path / PROBE.name)
    return path


def _probe_session(project: Path, image: str, port: int) -> subprocess.Popen[str]:
    addresses = " ".join(host_addresses())
    return start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", image,
        "-c", f"{PROBE_IN_BOX} {port} {addresses}",
    )  # fmt: skip


def test_allowlist_holds_and_lets_allowed_through(
    project: Path, python_image: str, remote: int
) -> None:
    found, err = run_allowlist_session(
        project,
        remote,
        lambda: _probe_session(project, python_image, remote),
        lambda *args: kanibako("-p", str(project), "net", *args),
    )
    check_allowlist_results(found, remote)
    assert f"egress denied this session: 127.0.0.3:{remote}" in err
    log = kanibako("-p", str(project), "net", "log", "--json")
    assert log.returncode == 0, log.stderr
    check_logged(log.stdout, remote)


def test_open_restores_the_engine_network(project: Path, python_image: str, remote: int) -> None:
    assert kanibako("-p", str(project), "config", "network", "open").returncode == 0
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", python_image,
        "-c", f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = parse_probe(done.stdout)
    assert found["interfaces"] != ["lo"]
    assert found["proxy_env"].strip() == ""
    assert "connected" in [v for k, v in found.items() if k.startswith("direct ")]


def test_none_has_no_way_out(project: Path, python_image: str, remote: int) -> None:
    assert kanibako("-p", str(project), "config", "network", "none").returncode == 0
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", python_image,
        "-c", f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}; ls /run/kanibako-egress",
    )  # fmt: skip
    found = parse_probe(done.stdout)
    assert found["interfaces"] == ["lo"] and found["proxy_env"].strip() == ""
    assert all(v.startswith("failed") for k, v in found.items() if k.startswith("direct "))
    assert "egress.sock" not in done.stdout


def test_an_image_without_python_starts_with_no_way_out(
    project: Path, busybox_image: str, remote: int
) -> None:
    host = host_addresses()[0]
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image,
        "-c", f"ls /sys/class/net; wget -q -T 3 -O- http://{host}:{remote}/ || echo no-way-out",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["lo", "no-way-out"]
    assert "has no python3: the session has no network at all" in done.stderr
