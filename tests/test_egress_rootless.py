"""Egress as an ordinary user with rootless Podman (no /dev/net/tun): the same attacks hold."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.egress_checks import (
    PROBE,
    PROBE_IN_BOX,
    check_allowlist_results,
    check_session_end,
    host_addresses,
    run_allowlist_session,
)
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def _with_python_image(rootless: RootlessUser, python_image: str) -> None:
    as_user = ["su", rootless.name, "-s", "/bin/sh", "-c"]
    present = subprocess.run(
        [*as_user, f"cd /tmp && podman image exists {python_image}"], check=False
    )
    if present.returncode:
        saved = subprocess.run(["podman", "save", python_image], capture_output=True, check=True)
        subprocess.run([*as_user, "cd /tmp && podman load"], input=saved.stdout, check=True,
                       capture_output=True)  # fmt: skip


def test_rootless_allowlist_holds(rootless: RootlessUser, python_image: str, remote: int) -> None:
    _with_python_image(rootless, python_image)
    project = rootless.root / "projects" / "egress"
    project.mkdir()
    shutil.copy(PROBE, project / PROBE.name)
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(project)], check=True)
    probe = f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}"

    def start() -> subprocess.Popen[str]:
        return rootless.start(project, "shell", "--no-helpers", "-i", python_image, "-c", probe)

    def net(*args: str) -> subprocess.CompletedProcess[str]:
        command = rootless.command(project, "net", *args)
        return subprocess.run(
            ["su", rootless.name, "-s", "/bin/bash", "-c", command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    found, err = run_allowlist_session(project, remote, start, net)
    check_allowlist_results(found, remote)
    check_session_end(err, net, remote)
    assert json.loads(net("list", "--json").stdout)["mode"] == "allowlist"


def test_open_mode_without_the_engine_s_network_fails_with_one_line_naming_the_choices(
    rootless: RootlessUser, busybox_image: str
) -> None:
    """No /dev/net/tun and no netns override: slirp4netns fails; the line says what to do."""
    conf = rootless.root / "config" / "containers" / "containers.conf"
    kept = conf.read_text() if conf.exists() else None
    conf.write_text(
        '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
    )
    project = rootless.root / "projects" / "open-no-tun"
    project.mkdir()
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(project)], check=True)
    try:
        assert rootless.kanibako(project, "config", "network", "open").returncode == 0
        done = rootless.kanibako(project, "shell", "--no-helpers", "-i", busybox_image,
                                 "-c", "true")  # fmt: skip
    finally:
        if kept is not None:
            conf.write_text(kept)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert 'network = "open"' in last and "/dev/net/tun" in last, err
    assert "kanibako config network allowlist" in last and 'netns = "host"' in last
