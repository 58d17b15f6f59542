"""Egress as an ordinary user with rootless Podman (no /dev/net/tun): the same attacks hold."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

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


def _user_command(rootless: RootlessUser, project: Path, *args: str) -> str:
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in rootless.env.items())
    return f"cd {shlex.quote(str(project))} && env {assignments} {rootless.launcher} " + shlex.join(
        args
    )


def test_rootless_allowlist_holds(rootless: RootlessUser, python_image: str, remote: int) -> None:
    _with_python_image(rootless, python_image)
    project = rootless.root / "projects" / "egress"
    project.mkdir()
    shutil.copy(PROBE, project / PROBE.name)
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(project)], check=True)
    probe = f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}"

    def start() -> subprocess.Popen[str]:
        command = _user_command(rootless, project, "shell", "--no-helpers", "-i", python_image,
                                "-c", probe)  # fmt: skip
        return subprocess.Popen(
            ["su", rootless.name, "-s", "/bin/bash", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def net(*args: str) -> subprocess.CompletedProcess[str]:
        command = _user_command(rootless, project, "net", *args)
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
