"""Removing a tree that holds files the engine made as another uid (mount-point stubs).

When a container bind-mounts a file or directory at a path that does not
exist yet inside a mounted directory (the project's home), the runtime creates
the mount point there as the container's root: a subordinate uid under rootless
Podman, root under Docker. The user cannot delete those, so a plain ``rmtree``
stops half-way. The fallback removes through the engine's own user namespace:
``podman unshare rm -rf`` (rootless Podman), or a throwaway container running
``rm -rf`` as its root (Docker, whose root is the daemon's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

_TIMEOUT = 120
_MAX_IMAGES = 3  # images without ``rm`` (scratch-based) are skipped, but not endlessly


def remove_tree(path: Path) -> None:
    """``shutil.rmtree(path)``, falling back to the engine for what the user may not delete."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except PermissionError as first:
        if not _remove_through_engine(path):
            raise first from None


def _remove_through_engine(path: Path) -> bool:
    from kanibako_runtime import EngineNotFoundError, detect_engine

    try:
        engine = detect_engine()
    except EngineNotFoundError:
        return False
    target = str(path.resolve())
    if engine.kind == "podman" and engine.rootless:
        return _run([*engine.base_argv(), "unshare", "rm", "-rf", "--", target], path)
    if engine.kind != "docker" or not _docker_on_this_host():
        return False
    parent, name = str(Path(target).parent), Path(target).name
    # The first image that has an ``rm`` does it; never a pull (there may be no registry).
    for image in _local_images(engine.base_argv()):
        argv = [*engine.base_argv(), "run", "--rm", "--pull", "never", "--network", "none",
                "--user", "0:0", "--entrypoint", "rm", "-v", f"{parent}:/kanibako-parent",
                image, "-rf", f"/kanibako-parent/{name}"]  # fmt: skip
        if _run(argv, path):
            return True
    return False


def _docker_on_this_host() -> bool:
    # DOCKER_HOST marks Docker remote, but a unix socket is a daemon on this machine,
    # whose mounts are this machine's paths (a Docker-group user's usual setup).
    host = os.environ.get("DOCKER_HOST", "")
    return not host or host.startswith("unix://")


def _run(argv: list[str], path: Path) -> bool:
    try:
        subprocess.run(argv, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return not path.exists()


def _local_images(base: list[str]) -> Iterator[str]:
    """Local images to remove with: the one Kanibako launches first, then the others listed."""
    from kanibako_paths import load_paths, resolve_config

    try:
        configured = resolve_config(load_paths()).container_image
    except Exception:  # a broken config must not stop a purge; try what is there
        configured = ""
    candidates = [configured] if configured else []
    try:
        listed = subprocess.run([*base, "images", "--format", "{{.Repository}}:{{.Tag}}"],
                                capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
        candidates += [n for n in listed.stdout.split() if "<none>" not in n]
    except (OSError, subprocess.TimeoutExpired):
        pass
    tried = 0
    for image in dict.fromkeys(candidates):
        if tried == _MAX_IMAGES:
            return
        done = subprocess.run([*base, "image", "inspect", image], capture_output=True, check=False)
        if done.returncode == 0:
            tried += 1
            yield image
