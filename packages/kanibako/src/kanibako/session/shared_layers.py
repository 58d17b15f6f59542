"""Shared plugin and cache directories as read-only layers, each project's writes its own.

A read-write mount whose host source lies in Kanibako's shared directory
(``kanibako shared init`` caches, an agent's ``[shared]`` dirs, resources with
``shared`` scope such as ``~/.claude/plugins``) would carry one project's
writes into every other project. Instead a shared directory becomes an
overlay: the shared content is the read-only lower layer, the session's
writes go to an upper layer under the project's own metadata (kept across
its sessions, seen by no other project). A shared file becomes a read-only
bind (overlays are for directories). An engine that cannot make overlays
gets read-only binds: a remote one (its paths are another host's) and
rootless Docker (its local volume driver mounts as the unprivileged daemon).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from kanibako.session.contribution import Contribution
from kanibako_runtime import Engine, Mount, OverlayMount

LAYERS_DIR = "layers"


def _inside(path: Path, root: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base + os.sep)


def overlays_possible(engine: Engine) -> bool:
    """True when the engine mounts this host's paths as an overlay (see the module text)."""
    if engine.kind == "docker":
        # DOCKER_HOST marks Docker remote, but a unix socket is a daemon on this machine.
        host = os.environ.get("DOCKER_HOST", "")
        return not engine.rootless and (not host or host.startswith("unix://"))
    return not engine.remote


def layer_dirs(layer_root: Path, target: str) -> tuple[Path, Path]:
    """(upper, work) for the container path ``target``: one pair per target, made here."""
    slug = target.strip("/").replace("/", "_")[:60]
    digest = hashlib.sha256(target.encode()).hexdigest()[:8]
    base = layer_root / f"{slug}-{digest}"
    upper, work = base / "upper", base / "work"
    for directory in (upper, work):
        directory.mkdir(parents=True, exist_ok=True)
    return upper, work


def shared_layers(
    mounts: Iterable[Mount], shared_dir: Path, layer_root: Path, engine: Engine
) -> Contribution:
    """Replacements for every writable mount of a shared source (see the module text)."""
    overlays_work = overlays_possible(engine)
    replacements: list[Mount | OverlayMount] = []
    for mount in mounts:
        if mount.read_only or not _inside(mount.source, shared_dir):
            continue
        if mount.source.is_dir() and overlays_work:
            upper, work = layer_dirs(layer_root, mount.target)
            replacements.append(OverlayMount(mount.source, mount.target, upper, work))
        else:
            replacements.append(Mount(mount.source, mount.target, read_only=True))
    return Contribution(replacements=tuple(replacements))
