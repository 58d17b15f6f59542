"""``kanibako ps``: this user's sessions and standbys, from the engine's labels and the project locks."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from kanibako.session import layout
from kanibako_paths import load_paths, resolve_config
from kanibako_runtime import (
    LOCK_FILE_NAME,
    ContainerInfo,
    detect_engine,
    list_containers,
    lock_holder,
)


@dataclass(frozen=True)
class SessionRow:
    """One project's container as ``ps`` shows it."""

    project: str
    state: str  # "attached", "detached" (under a supervisor), "warm" (a standby), "orphaned"
    since: str
    image: str
    helpers: int
    container: str


def _since(created: str) -> str:
    if created.isdigit():
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(created)))
    return created.removesuffix(" UTC").rsplit(" +", 1)[0]


def _held_state(workspace: str) -> str | None:
    """``detached`` or ``attached`` when a kanibako process holds the project's lock, else None."""
    from kanibako.session.detached import attach_socket
    from kanibako_paths import KanibakoPathsError, resolve_project

    try:
        project = resolve_project(load_paths(), Path(workspace))
    except (KanibakoPathsError, OSError):
        return None
    box = project.metadata_dir / LOCK_FILE_NAME
    if not box.exists() or lock_holder(box) is None:
        return None
    # A supervisor serves its terminal on the socket: the session runs detached.
    return "detached" if attach_socket(project).exists() else "attached"


def list_sessions() -> list[SessionRow]:
    """Every session container of this user (owner label) on the configured engine."""
    engine = detect_engine(resolve_config(load_paths()).container_engine or None)
    found = list_containers(engine, {layout.LABEL_OWNER: str(os.getuid())})
    helpers: dict[str, int] = {}
    for container in found:
        if container.labels.get(layout.LABEL_ROLE) == "helper":
            key = container.labels.get(layout.LABEL_SESSION, "")
            helpers[key] = helpers.get(key, 0) + 1
    return [
        _row(c, helpers.get(c.labels.get(layout.LABEL_SESSION, ""), 0))
        for c in found
        if c.labels.get(layout.LABEL_ROLE) == "director"
    ]


def _row(container: ContainerInfo, helpers: int) -> SessionRow:
    workspace = container.labels.get(layout.LABEL_WORKSPACE, "")
    held = _held_state(workspace)
    # A session container whose project lock nobody holds lost its kanibako.
    state = "warm" if layout.LABEL_STANDBY in container.labels and not held else held or "orphaned"
    return SessionRow(
        project=workspace,
        state=state,
        since=_since(container.created),
        image=container.image,
        helpers=helpers,
        container=container.name,
    )
