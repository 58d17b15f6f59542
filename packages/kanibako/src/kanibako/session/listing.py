"""``kanibako ps``: this user's sessions and standbys, from the engine's labels and the project locks.

A project whose last session died (its supervisor killed, the machine
rebooted) and left no container is ``resumable``: its lock file still names
a holder that nobody holds (``kanibako_runtime.stale_holder``). ``kanibako
start`` there continues the director's conversation, ``kanibako helper
respawn --all`` brings back the helpers that were running.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from kanibako.session import layout
from kanibako_paths import KanibakoPaths, Project, list_boxes, load_paths, resolve_config
from kanibako_runtime import (
    LOCK_FILE_NAME,
    ContainerInfo,
    detect_engine,
    list_containers,
    lock_holder,
    stale_holder,
)


@dataclass(frozen=True)
class SessionRow:
    """One project's container as ``ps`` shows it."""

    project: str
    mode: str  # start, shell or resume; "" for a standby (it runs nothing yet)
    # "attached", "detached" (under a supervisor), "warm" (a standby), "orphaned",
    # "resumable" (its session died, no container left)
    state: str
    since: str
    image: str
    helpers: int
    container: str


def _since(created: str) -> str:
    if created.isdigit():
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(created)))
    return created.removesuffix(" UTC").rsplit(" +", 1)[0]


def _held_state(workspace: str) -> tuple[str, str] | None:
    """(``detached`` or ``attached``, the session's mode) when a supervisor holds the project's lock."""
    from kanibako.session.terminal_server import attach_socket, is_attached
    from kanibako_paths import KanibakoPathsError, resolve_project

    try:
        project = resolve_project(load_paths(), Path(workspace))
    except (KanibakoPathsError, OSError):
        return None
    box = project.metadata_dir / LOCK_FILE_NAME
    holder = lock_holder(box) if box.exists() else None
    if holder is None:
        return None
    # A session's terminal is served on the socket; a client connected to it
    # leaves a marker. No socket: a foreground session on the CLI's own stdio.
    terminal = attach_socket(project)
    state = "detached" if terminal.exists() and not is_attached(terminal) else "attached"
    return state, holder.mode


def list_sessions() -> list[SessionRow]:
    """Every session container of this user (owner label), then this user's resumable projects."""
    paths = load_paths()
    engine = detect_engine(resolve_config(paths).container_engine or None)
    found = list_containers(engine, {layout.LABEL_OWNER: str(os.getuid())})
    helpers: dict[str, int] = {}
    for container in found:
        if container.labels.get(layout.LABEL_ROLE) == "helper":
            key = container.labels.get(layout.LABEL_SESSION, "")
            helpers[key] = helpers.get(key, 0) + 1
    rows = [
        _row(c, helpers.get(c.labels.get(layout.LABEL_SESSION, ""), 0))
        for c in found
        if c.labels.get(layout.LABEL_ROLE) == "director"
    ]
    running = {row.project for row in rows} | {
        c.labels.get(layout.LABEL_WORKSPACE, "") for c in found
    }
    for entry in list_boxes(paths):
        project = entry.project
        if project is not None and str(project.workspace) not in running:
            row = _resumable(paths, project)
            if row is not None:
                rows.append(row)
    return rows


def _resumable(paths: KanibakoPaths, project: Project) -> SessionRow | None:
    """The row of a project whose last session died without ending, else None."""
    holder = stale_holder(project.metadata_dir / LOCK_FILE_NAME)
    if holder is None:
        return None
    from kanibako.session.hub import helper_log_path
    from kanibako_helpers import WAS_RUNNING, HelperError, read_registry, registry_path

    try:
        recorded = read_registry(registry_path(helper_log_path(paths, project)))
    except HelperError:
        recorded = []
    started = holder.started
    return SessionRow(
        project=str(project.workspace),
        mode=holder.mode,
        state="resumable",
        since=_since(str(int(started))) if started else "",
        image="",
        # The helpers `helper respawn --all` would bring back.
        helpers=sum(1 for entry in recorded if entry["status"] in WAS_RUNNING),
        container=holder.container,
    )


def _row(container: ContainerInfo, helpers: int) -> SessionRow:
    workspace = container.labels.get(layout.LABEL_WORKSPACE, "")
    held = _held_state(workspace)
    # A session container whose project lock nobody holds lost its supervisor.
    standby = layout.LABEL_STANDBY in container.labels and not held
    state = "warm" if standby else held[0] if held else "orphaned"
    return SessionRow(
        project=workspace,
        mode=held[1] if held else "",
        state=state,
        since=_since(container.created),
        image=container.image,
        helpers=helpers,
        container=container.name,
    )
