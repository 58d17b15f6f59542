"""``kanibako gc`` and the engine: stopped session containers and dangling images it built."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.state_cli import ok

pytestmark = pytest.mark.integration


def test_gc_removes_stopped_sessions_and_dangling_local_builds(
    isolated_home: Path, engine: str, busybox_image: str, tmp_path: Path
) -> None:
    name = "kanibako-gc-test-stopped"
    subprocess.run([engine, "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(
        # Owned by this user: gc leaves other users' sessions on a shared engine alone.
        [engine, "create", "--name", name, "--label", "io.kanibako.session=gctest",
         "--label", f"io.kanibako.owner={os.getuid()}", busybox_image, "true"],
        capture_output=True, check=True,
    )  # fmt: skip
    (tmp_path / "Containerfile").write_text(
        f"FROM {busybox_image}\nLABEL io.kanibako.origin=local\nRUN echo {tmp_path} > /built\n"
    )
    tag = "localhost/kanibako-gc-test:dangling"
    subprocess.run([engine, "build", "-q", "-t", tag, str(tmp_path)], capture_output=True,
                   check=True)  # fmt: skip
    image_id = subprocess.run([engine, "image", "inspect", "--format", "{{.Id}}", tag],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    subprocess.run([engine, "untag", tag], check=True)
    try:
        report = json.loads(ok("gc", "--json"))
        assert name in report["stopped_containers"]
        plan = {(i["kind"], i["target"]) for i in report["plan"]}
        assert ("stopped container", name) in plan
        assert any(k == "dangling image" and image_id.startswith(t[:12]) for k, t in plan)
        assert busybox_image not in json.dumps(report["plan"])  # a tagged image stays
        ok("gc", "--yes")
        gone = subprocess.run([engine, "container", "exists", name], check=False)
        assert gone.returncode == 1
        assert subprocess.run([engine, "image", "exists", image_id], check=False).returncode == 1
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True, check=False)
        subprocess.run([engine, "rmi", "-f", image_id], capture_output=True, check=False)
