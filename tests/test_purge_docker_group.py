"""Purge and helper cleanup as a non-root user of the Docker group (a private dockerd).

A rootful daemon creates the mount points of a session's bind mounts (the CLI
bundle, the hub socket, the message log) in the project's home as root: the
user cannot delete them. ``box purge`` and ``helper cleanup`` must still remove
everything, through a throwaway container of the daemon's (its root is root),
using an image that is already there: no registry is reachable here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.docker_fixtures import docker_client
from tests.launch_helpers import CLEANUP_DIRECTOR
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def _project(user: RootlessUser, name: str, script: str = "") -> Path:
    project = user.root / "projects" / name
    project.mkdir(parents=True)
    if script:
        (project / "director.sh").write_text(script)
    subprocess.run(["chown", "-R", f"{user.uid}:{user.uid}", str(project)], check=True)
    return project


def _trees(user: RootlessUser, project: Path) -> tuple[Path, Path]:
    info = user.kanibako(project, "box", "info", "--json")
    assert info.returncode == 0, info.stderr.decode()
    fields = json.loads(info.stdout)
    return Path(fields["metadata"]), Path(fields["shell"])


def _root_owned(tree: Path) -> list[Path]:
    return [p for p in tree.rglob("*") if p.lstat().st_uid == 0]


def _containers(user: RootlessUser) -> list[str]:
    env = {**os.environ, "DOCKER_HOST": user.env["DOCKER_HOST"]}
    listed = subprocess.run(
        [docker_client(), "ps", "-aq"], env=env, capture_output=True, text=True, check=True
    )
    return listed.stdout.split()


def _left_behind(user: RootlessUser, digest: str) -> list[Path]:
    """What of the project's is still in the data dir, and anything root's in the user's tree."""
    return [
        p
        for p in user.root.rglob("*")
        if p.lstat().st_uid == 0 or (digest in p.name and p.is_relative_to(user.root / "data"))
    ]


def _purged(user: RootlessUser, project: Path, metadata: Path, shell: Path) -> None:
    digest = user.kanibako(project, "box", "get", "project_hash").stdout.decode().strip()
    assert digest and _left_behind(user, digest)
    done = user.kanibako(project, "box", "purge", "--yes")
    err = done.stderr.decode()
    assert done.returncode == 0 and "Traceback" not in err, err
    assert not metadata.exists() and not shell.exists()
    assert _left_behind(user, digest) == []  # checked as root: nothing of the project remains
    assert project.is_dir()  # the workspace stays
    listed = user.kanibako(project, "box", "list", "--json")
    assert str(project) not in listed.stdout.decode()
    assert _containers(user) == []  # the throwaway remover went with its --rm


def _launched(
    user: RootlessUser, project: Path, image: str, command: str
) -> tuple[Path, Path, str]:
    """Run ``command`` in a session of ``project``: (metadata, shell, output), stubs checked."""
    done = user.kanibako(project, "shell", "-i", image, "-c", command)
    out = (done.stdout + done.stderr).decode()
    assert done.returncode == 0 and "Traceback" not in out, out
    metadata, shell = _trees(user, project)
    assert _root_owned(shell), f"no root-owned stubs in {shell}: the test proves nothing"
    return metadata, shell, done.stdout.decode()


def test_docker_group_box_purge_removes_root_owned_stubs(
    docker_user: RootlessUser, busybox_image: str
) -> None:
    project = _project(docker_user, "stubbed")
    metadata, shell, out = _launched(docker_user, project, busybox_image, "id -u")
    assert out.split() == [str(docker_user.uid)]  # the session ran as the user, not root
    _purged(docker_user, project, metadata, shell)


def test_docker_group_helper_cleanup_removes_root_owned_stubs(
    docker_user: RootlessUser, python_image: str
) -> None:
    project = _project(docker_user, "cleanup", CLEANUP_DIRECTOR)
    # The helper runs the in-container CLI with the image's python3, found on a plain PATH.
    user = replace(docker_user, env={**docker_user.env, "PATH": "/usr/local/bin:/usr/bin:/bin"})
    director = "sh /home/agent/workspace/director.sh"
    metadata, shell, out = _launched(user, project, python_image, director)
    assert "cleaned" in out
    assert not (shell / "helpers" / "1").exists()
    assert not (metadata / "helper-homes" / "1").exists()
    _purged(user, project, metadata, shell)


def test_docker_group_gc_removes_an_orphan_with_root_owned_stubs(
    docker_user: RootlessUser, busybox_image: str
) -> None:
    project = _project(docker_user, "orphaned")
    metadata, _, _ = _launched(docker_user, project, busybox_image, "true")
    digest = docker_user.kanibako(project, "box", "get", "project_hash").stdout.decode().strip()
    shutil.rmtree(project)  # the workspace is gone: an orphan
    gc = docker_user.kanibako(docker_user.root, "gc", "--yes", "--json")
    assert gc.returncode == 0 and "Traceback" not in gc.stderr.decode(), gc.stderr.decode()
    assert any(i["kind"] == "orphaned project" for i in json.loads(gc.stdout)["plan"])
    assert not metadata.exists()
    assert _left_behind(docker_user, digest) == []
    assert _containers(docker_user) == []


def test_docker_group_purge_when_the_configured_image_has_no_rm(
    docker_user: RootlessUser, busybox_image: str, tmp_path: Path
) -> None:
    # The image Kanibako launches is tried first; one without ``rm`` must not end the purge.
    (tmp_path / "only-a-file").write_text("no rm in here\n")
    env = {**os.environ, "DOCKER_HOST": docker_user.env["DOCKER_HOST"]}
    packed = subprocess.run(
        ["tar", "-c", "-C", str(tmp_path), "only-a-file"], capture_output=True, check=True
    )
    subprocess.run(
        [docker_client(), "import", "-", "kanibako-test-no-rm:latest"],
        input=packed.stdout, env=env, capture_output=True, check=True,
    )  # fmt: skip
    config = docker_user.root / "config" / "kanibako.toml"
    saved = config.read_text()
    config.write_text(saved + '\n[container]\nimage = "kanibako-test-no-rm:latest"\n')
    try:
        project = _project(docker_user, "no-rm")
        metadata, shell, _ = _launched(docker_user, project, busybox_image, "true")
        _purged(docker_user, project, metadata, shell)
    finally:
        config.write_text(saved)
