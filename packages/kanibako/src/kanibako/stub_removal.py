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

import shutil
import subprocess
from pathlib import Path

_TIMEOUT = 120


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
        argv = [*engine.base_argv(), "unshare", "rm", "-rf", "--", target]
    elif engine.kind == "docker" and not engine.remote:
        image = _local_image(engine.base_argv())
        if image is None:
            return False
        parent = str(Path(target).parent)
        argv = [*engine.base_argv(), "run", "--rm", "--network", "none", "--user", "0:0",
                "--entrypoint", "rm", "-v", f"{parent}:/kanibako-parent", image,
                "-rf", f"/kanibako-parent/{Path(target).name}"]  # fmt: skip
    else:
        return False
    try:
        subprocess.run(argv, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return not path.exists()


def _local_image(base: list[str]) -> str | None:
    """Any local image with ``rm`` in it: the one Kanibako launches, else the first listed."""
    from kanibako_paths import load_paths, resolve_config

    try:
        configured = resolve_config(load_paths()).container_image
    except Exception:  # a broken config must not stop a purge; try what is there
        configured = ""
    candidates = [configured] if configured else []
    try:
        listed = subprocess.run([*base, "images", "--format", "{{.Repository}}:{{.Tag}}"],
                                capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
        candidates += [n for n in listed.stdout.split() if not n.startswith("<none>")]
    except (OSError, subprocess.TimeoutExpired):
        pass
    for image in candidates:
        done = subprocess.run([*base, "image", "inspect", image], capture_output=True, check=False)
        if done.returncode == 0:
            return image
    return None
