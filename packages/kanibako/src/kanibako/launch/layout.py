"""The spec's "Container Layout": what is mounted where, and the session's identity.

Pure functions of the project (plus one ``is_dir`` per optional mount), so the
layout is tested without an engine.

```
/home/agent/             persistent shell (the project's shell dir), HOME
/home/agent/workspace/   the project files (working directory)
/home/agent/share-ro/    read-only vault (when enabled)
/home/agent/share-rw/    read-write vault (when enabled)
```
In account-centric mode the vault lives in ``{project}/vault``; a read-only
tmpfs over ``/home/agent/workspace/vault`` hides it from the agent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kanibako_paths import KanibakoPaths, Project, ProjectMode
from kanibako_runtime import Mount, TmpfsMount

HOME = "/home/agent"
WORKSPACE = f"{HOME}/workspace"
SHARE_RO = f"{HOME}/share-ro"
SHARE_RW = f"{HOME}/share-rw"

# Labels every session container carries: `stop` and `status` find sessions by them.
LABEL_SESSION = "io.kanibako.session"  # the project hash
LABEL_WORKSPACE = "io.kanibako.workspace"
LABEL_ROLE = "io.kanibako.role"  # "director" or "helper"


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
    }


def project_mounts(project: Project) -> tuple[list[Mount], list[TmpfsMount]]:
    """Shell, workspace and vault mounts, and the tmpfs hiding the in-workspace vault."""
    mounts = [Mount(project.shell_dir, HOME), Mount(project.workspace, WORKSPACE)]
    tmpfs: list[TmpfsMount] = []
    if project.vault_enabled:
        if project.vault_ro.is_dir():
            mounts.append(Mount(project.vault_ro, SHARE_RO, read_only=True))
        if project.vault_rw.is_dir():
            mounts.append(Mount(project.vault_rw, SHARE_RW))
    in_workspace_vault = project.workspace / "vault"
    if project.mode is ProjectMode.ACCOUNT_CENTRIC and in_workspace_vault.is_dir():
        tmpfs.append(TmpfsMount(f"{WORKSPACE}/vault", read_only=True, size="4k"))
    return mounts, tmpfs


def shared_cache_mounts(paths: KanibakoPaths, global_config: Mapping[str, Any]) -> list[Mount]:
    """Global shared caches (``[shared] name = "path/in/home"``) whose host dir exists.

    Lazy by design: a cache is only mounted once ``kanibako shared init`` (or
    the user) has created its directory.
    """
    table = global_config.get("shared", {})
    if not isinstance(table, dict):
        return []
    mounts = []
    for name, relative in table.items():
        if not isinstance(relative, str) or not relative or relative.startswith("/"):
            continue
        host = paths.global_shared_dir / name
        if host.is_dir():
            mounts.append(Mount(host, f"{HOME}/{relative.strip('/')}"))
    return mounts


def base_env(project: Project) -> dict[str, str]:
    """What Kanibako itself sets in every session (HOME: any image with /bin/sh works)."""
    return {
        "HOME": HOME,
        "KANIBAKO_PROJECT": project.name,
        "KANIBAKO_MODE": project.mode.value,
    }
