"""Issue 12's mount mechanics under rootless Podman: read-only control files, ``.git`` held
in place, a shared cache as a per-project layer, least privilege and the setuid sweep.

The user and how kanibako runs as it: tests/rootless_fixtures.py; the attack
batch and its checks: tests/session_rules_checks.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import session_rules_checks as checks
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def _chown(rootless: RootlessUser, path: Path) -> None:
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(path)], check=True)


def test_rootless_control_files_shared_layer_and_setuid_sweep(
    rootless: RootlessUser, busybox_image: str
) -> None:
    project = rootless.root / "projects" / "protect"
    inode = checks.prepare(project)
    _chown(rootless, project)
    made = rootless.kanibako(project, "shared", "init", "pip")
    assert made.returncode == 0, made.stderr.decode()
    shared = rootless.root / "data" / "shared" / "global" / "pip"
    checks.seed(shared)
    _chown(rootless, shared)

    run = ("shell", "--no-helpers", "-i", busybox_image, "-c")
    done = rootless.kanibako(project, *run, "sh attack.sh")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == checks.EXPECTED_OUTPUT
    checks.check_host(project, inode, shared, done.stderr.decode())
    # No warning about limits that rootless Podman on cgroup v1 cannot enforce.
    assert "Resource limits" not in done.stderr.decode()
    again = rootless.kanibako(project, *run, checks.READ_BACK)
    assert again.stdout.decode().splitlines() == checks.READ_BACK_OUTPUT, again.stderr.decode()
