"""Purging after a real rootless launch: the engine's mount-point stubs are owned by a subuid.

A session with helpers mounts files into the project's home (the CLI bundle at
``~/.local/bin/kanibako``, the hub socket and message log under ``~/.kanibako``);
the runtime creates those mount points as the container's root, a subordinate
uid the user cannot delete. ``box purge`` must still remove everything, and so
must ``kanibako gc --yes`` for an orphan (both through ``podman unshare``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def _launched_project(rootless: RootlessUser, name: str, image: str) -> tuple[Path, Path]:
    project = rootless.root / "projects" / name
    project.mkdir(parents=True)
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(project)], check=True)
    done = rootless.kanibako(project, "shell", "-i", image, "-c", "true")
    assert done.returncode == 0, done.stderr.decode()
    info = rootless.kanibako(project, "box", "info", "--json")
    shell = Path(json.loads(info.stdout)["shell"])
    foreign = [
        p for p in shell.rglob("*") if p.lstat().st_uid not in (rootless.uid, 0)
    ]  # a subordinate uid: what a plain rmtree as the user cannot remove under
    assert foreign, f"no engine-made stubs in {shell}: the test proves nothing"
    return project, Path(json.loads(info.stdout)["metadata"])


def test_box_purge_removes_the_engines_stubs(rootless: RootlessUser, busybox_image: str) -> None:
    project, metadata = _launched_project(rootless, "stubbed", busybox_image)
    done = rootless.kanibako(project, "box", "purge", "--yes")
    assert done.returncode == 0, done.stderr.decode()
    assert not metadata.exists()
    assert project.is_dir()  # the workspace stays
    listed = rootless.kanibako(project, "box", "list", "--json")
    assert str(project) not in listed.stdout.decode()


def test_gc_removes_an_orphan_with_stubs(rootless: RootlessUser, busybox_image: str) -> None:
    project, metadata = _launched_project(rootless, "orphaned", busybox_image)
    shutil.rmtree(project)  # the workspace is gone: an orphan
    done = rootless.kanibako(rootless.root, "gc", "--yes", "--json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert any(i["kind"] == "orphaned project" for i in report["plan"])
    assert not metadata.exists()
