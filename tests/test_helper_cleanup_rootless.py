"""``helper cleanup N`` as a rootless user: the helper's home holds the engine's subuid stubs.

The helper's container mounts the CLI bundle, its socket and config into its own
home; the runtime creates those mount points as the container's root, a
subordinate uid. The hub (running as the user) must still remove the helper's
tree and home: it falls back to ``podman unshare rm -rf``.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.launch_helpers import CLEANUP_DIRECTOR
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def test_rootless_helper_cleanup_removes_the_engines_stubs(
    rootless: RootlessUser, python_image: str
) -> None:
    as_user = ["su", rootless.name, "-s", "/bin/sh", "-c"]
    if subprocess.run([*as_user, f"cd /tmp && podman image exists {python_image}"],
                      check=False).returncode != 0:  # fmt: skip
        saved = subprocess.run(["podman", "save", python_image], capture_output=True, check=True)
        subprocess.run([*as_user, "cd /tmp && podman load"], input=saved.stdout, check=True,
                       capture_output=True)  # fmt: skip
    project = rootless.root / "projects" / "cleanup"
    project.mkdir(parents=True)
    (project / "director.sh").write_text(CLEANUP_DIRECTOR)
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(project)], check=True)
    user = replace(rootless, env={**rootless.env, "PATH": "/usr/local/bin:/usr/bin:/bin"})
    done = user.kanibako(
        project, "shell", "-i", python_image, "-c", "sh /home/agent/workspace/director.sh"
    )
    out = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, out
    assert "cleaned" in out and "Permission denied" not in out
    info = json.loads(user.kanibako(project, "box", "info", "--json").stdout)
    metadata, shell = Path(info["metadata"]), Path(info["shell"])
    assert not (shell / "helpers" / "1").exists()
    assert not (metadata / "helper-homes" / "1").exists()
    purged = user.kanibako(project, "box", "purge", "--yes")
    assert purged.returncode == 0, purged.stderr.decode()
