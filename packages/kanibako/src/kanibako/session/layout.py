"""The spec's "Container Layout": what is mounted where, and the session's identity.

Pure functions of the project (plus one ``is_dir`` per optional mount), so the
layout is tested without an engine.

```
/home/agent/             persistent shell (the project's shell dir), HOME
/home/agent/workspace/   the project files (working directory)
/home/agent/share-ro/    read-only vault (when enabled)
/home/agent/share-rw/    read-write vault (when enabled)
```
The agent is untrusted, so Kanibako's own state is never reachable through
the workspace: whatever of it lies inside the project directory (the vault in
``{project}/vault``, decentralized mode's ``{project}/.kanibako`` with
project.toml and env, or all of Kanibako's data when the project is the home
directory) is covered by a read-only tmpfs (a directory) or a read-only
``/dev/null`` (a file: it reads empty and writes go nowhere). Otherwise an agent could rewrite, say, the box's
``shell`` setting and have any host directory mounted at the next launch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from kanibako_paths import KanibakoPaths, Project
from kanibako_runtime import Mount, TmpfsMount

HOME = "/home/agent"
WORKSPACE = f"{HOME}/workspace"
SHARE_RO = f"{HOME}/share-ro"
SHARE_RW = f"{HOME}/share-rw"

# Labels every session container carries: `stop` and `status` find sessions by them.
LABEL_SESSION = "io.kanibako.session"  # the project hash
LABEL_WORKSPACE = "io.kanibako.workspace"
LABEL_ROLE = "io.kanibako.role"  # "director" or "helper"
LABEL_OWNER = "io.kanibako.owner"  # the uid of the user who started it (a shared engine)
LABEL_STANDBY = "io.kanibako.standby"  # a warm standby: the key of the spec it serves


def container_name(project: Project) -> str:
    """``kanibako-{name}-{hash8}``: readable in ``podman ps``, unique per project."""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", project.name.lower()).strip("-.") or "project"
    return f"kanibako-{slug[:40]}-{project.project_hash[:8]}"


def session_labels(project: Project, role: str = "director") -> dict[str, str]:
    """The labels of a session's containers."""
    return {
        LABEL_SESSION: project.project_hash,
        LABEL_WORKSPACE: str(project.workspace),
        LABEL_ROLE: role,
        LABEL_OWNER: str(os.getuid()),
    }


def project_mounts(
    project: Project, paths: KanibakoPaths | None = None
) -> tuple[list[Mount], list[TmpfsMount]]:
    """Shell, workspace and vault mounts, and the overlays hiding Kanibako's state in the workspace.

    ``paths`` adds the global state (data dir, config file) to what is hidden
    when it lies inside the workspace.
    """
    mounts = [Mount(project.shell_dir, HOME), Mount(project.workspace, WORKSPACE)]
    tmpfs: list[TmpfsMount] = []
    for relative, is_dir in _hidden_in_workspace(project.workspace, _state_paths(project, paths)):
        target = f"{WORKSPACE}/{relative}"
        if is_dir:
            tmpfs.append(TmpfsMount(target, read_only=True, size="4k"))
        else:
            mounts.append(Mount(Path(os.devnull), target, read_only=True))
    if project.vault_enabled:
        if project.vault_ro.is_dir():
            mounts.append(Mount(project.vault_ro, SHARE_RO, read_only=True))
        if project.vault_rw.is_dir():
            mounts.append(Mount(project.vault_rw, SHARE_RW))
    return mounts, tmpfs


def _state_paths(project: Project, paths: KanibakoPaths | None) -> list[Path]:
    """Every host path of Kanibako state a session must not be able to change."""
    found = [
        project.metadata_dir,
        project.vault_root,
        project.vault_ro,
        project.vault_rw,
        project.project_config_file,
        project.env_file,
    ]
    if project.workset_root is not None:
        found.append(project.workset_root / "boxes")
    if paths is not None:
        found += [
            paths.data_dir,
            paths.config_file,
            paths.boxes_dir,
            paths.agents_dir,
            paths.shared_dir,
            paths.templates_dir,
            paths.global_env_file,
            paths.worksets_file,
            paths.projects_file,
        ]
    return found


def _hidden_in_workspace(workspace: Path, candidates: Iterable[Path]) -> list[tuple[str, bool]]:
    """(path relative to the workspace, is a directory) of each existing candidate inside it.

    Only the outermost of nested candidates: a mount point cannot be made
    inside a read-only tmpfs, and the outer overlay hides the inner anyway.
    """
    root = os.path.realpath(workspace)
    inside: dict[str, bool] = {}
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if not real.startswith(root + os.sep):
            continue
        if Path(real).is_dir():
            inside[real] = True
        elif os.path.lexists(real):
            inside[real] = False
    kept: list[str] = []
    for real in sorted(inside):  # a parent sorts before what it holds
        if not any(real.startswith(outer + os.sep) for outer in kept):
            kept.append(real)
    return [(os.path.relpath(real, root), inside[real]) for real in kept]


def shared_cache_mounts(paths: KanibakoPaths, agent: str) -> list[Mount]:
    """The shared caches whose host dir exists: global ones, then ``agent``'s own.

    Global: the built-in names (pip, cargo, npm, uv) plus ``[shared]`` of
    kanibako.toml; the agent's: ``[shared]`` of its agent TOML (an agent's
    cache wins over a global one at the same place). Lazy by design: a cache
    is only mounted once ``kanibako shared init`` (or the user) has created
    its directory. A bad entry is a ConfigError naming the file.
    """
    from kanibako_paths import agent_caches, global_caches

    caches = [*global_caches(paths), *(c for c in agent_caches(paths) if c.scope == agent)]
    by_target = {f"{HOME}/{c.container_path}": c.host_dir for c in caches if c.exists}
    return [Mount(host, target) for target, host in by_target.items()]


def base_env(project: Project) -> dict[str, str]:
    """What Kanibako itself sets in every session (HOME: any image with /bin/sh works)."""
    return {
        "HOME": HOME,
        "KANIBAKO_PROJECT": project.name,
        "KANIBAKO_MODE": project.mode.value,
    }
