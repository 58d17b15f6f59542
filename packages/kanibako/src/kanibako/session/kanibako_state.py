"""Kanibako's own files, and other projects' state, hidden from the session's workspace.

The launch layout already hides this project's state and the data dir when
they lie in the workspace. This adds what it does not cover:

- the cache (the CLI bundle mounted into every container), state, runtime and
  config directories, for a project opened at the home directory;
- other projects' state nested inside the workspace: every known
  decentralized project under it, and every ``.kanibako/`` directory (with
  its project's ``vault/``) a bounded scan of the workspace finds.

A directory is covered by a read-only tmpfs, a file by a read-only /dev/null.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from kanibako.session.contribution import Contribution
from kanibako_paths import KanibakoPaths, Project
from kanibako_paths.project import DECENTRALIZED_DIR
from kanibako_runtime import Mount, TmpfsMount

APP = "kanibako"
SCAN_DEPTH = 6
SCAN_SECONDS = 1.0
SCAN_ENTRIES = 200_000
# Directories no project lives in and that are large: skipping them keeps the scan short.
_SKIP = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", "target"})


def kanibako_host_dirs() -> list[Path]:
    """Kanibako's own directories besides the data dir: config, cache, state, runtime.

    platformdirs is what Kanibako itself uses (the bundle lives in its cache
    dir); it honours the XDG variables on Linux and knows the macOS places.
    """
    import platformdirs

    found = [
        platformdirs.user_config_path(APP),
        platformdirs.user_cache_path(APP),
        platformdirs.user_state_path(APP),
    ]
    if os.environ.get("XDG_RUNTIME_DIR", "").strip() or sys.platform != "linux":
        found.append(platformdirs.user_runtime_path(APP))
    return list(dict.fromkeys(found))


def nested_project_dirs(workspace: Path, deadline: float | None = None) -> list[Path]:
    """Each ``.kanibako`` dir (and its ``vault``) below the workspace, bounded in depth, time, size."""
    deadline = time.monotonic() + SCAN_SECONDS if deadline is None else deadline
    found: list[Path] = []
    pending = [(workspace, 0)]
    seen = 0
    while pending and time.monotonic() < deadline and seen < SCAN_ENTRIES:
        directory, depth = pending.pop()
        try:
            with os.scandir(directory) as entries:
                subdirs = [e for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        seen += len(subdirs)
        for entry in subdirs:
            if entry.name == DECENTRALIZED_DIR:
                found += [Path(entry.path), Path(directory) / "vault"]
            elif entry.name not in _SKIP and depth < SCAN_DEPTH:
                pending.append((Path(entry.path), depth + 1))
    return found


def _known_nested(paths: KanibakoPaths, workspace: Path) -> list[Path]:
    from kanibako_paths import KanibakoPathsError
    from kanibako_paths.known_projects import known_decentralized

    try:
        known = known_decentralized(paths)
    except (KanibakoPathsError, OSError):
        return []
    return [p for k in known for p in (k / DECENTRALIZED_DIR, k / "vault")]


def _inside(workspace: Path, candidates: Iterable[Path]) -> list[tuple[str, bool]]:
    """(relative path, is a directory) of the outermost existing candidates inside the workspace."""
    root = os.path.realpath(workspace)
    found: dict[str, bool] = {}
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if real.startswith(root + os.sep) and os.path.lexists(real):
            found[real] = Path(real).is_dir()
    outermost: list[str] = []
    for real in sorted(found):
        if not any(real.startswith(kept + os.sep) for kept in outermost):
            outermost.append(real)
    return [(os.path.relpath(real, root), found[real]) for real in outermost]


def hide_kanibako_state(
    paths: KanibakoPaths, project: Project, container_workspace: str
) -> Contribution:
    """Read-only covers over Kanibako's files and other projects' state in the workspace."""
    workspace = project.workspace
    own = os.path.realpath(project.metadata_dir)
    nested = [
        p
        for p in [*_known_nested(paths, workspace), *nested_project_dirs(workspace)]
        if os.path.realpath(p) != own
    ]
    mounts, tmpfs = [], []
    for relative, is_dir in _inside(workspace, [*kanibako_host_dirs(), *nested]):
        target = f"{container_workspace}/{relative}"
        if is_dir:
            tmpfs.append(TmpfsMount(target, read_only=True, size="4k"))
        else:
            mounts.append(Mount(Path(os.devnull), target, read_only=True))
    return Contribution(mounts=tuple(mounts), tmpfs=tuple(tmpfs))
