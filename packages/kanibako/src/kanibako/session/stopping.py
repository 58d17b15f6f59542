"""Finding and stopping session containers by label (for ``kanibako stop``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kanibako.session import layout
from kanibako_paths import load_paths, resolve_config, resolve_project
from kanibako_runtime import detect_engine, list_containers, stop


@dataclass(frozen=True)
class StoppedContainer:
    """A container ``stop`` ended."""

    name: str
    workspace: str


def stop_sessions(project_dir: Path | None) -> list[StoppedContainer]:
    """Stop the session of the project at ``project_dir``, or every session when None.

    Helpers carry their director's labels, so they stop with it. Directors go
    first: their kanibako process then unwinds its own hub. Only this user's
    containers (the owner label): on a shared rootful engine, other users'
    sessions are theirs to stop. Warm standbys are stopped too (the engine
    removes them: they run with ``--rm``), and with every session the warm
    launcher (kanibako.session.launcher).
    """
    import os

    paths = load_paths()
    wanted: dict[str, str | None] = {
        layout.LABEL_SESSION: None,
        layout.LABEL_OWNER: str(os.getuid()),
    }
    project = None
    if project_dir is None:
        from kanibako.session import launcher

        launcher.stop()  # warm state goes with the standbys
    else:
        project = resolve_project(paths, project_dir)
        wanted = {**wanted, layout.LABEL_SESSION: project.project_hash}
    engine = detect_engine(resolve_config(paths, project).container_engine or None)
    found = list_containers(engine, wanted)
    found.sort(key=lambda c: c.labels.get(layout.LABEL_ROLE) != "director")
    stopped = []
    for container in found:
        if stop(engine, container.name):
            workspace = container.labels.get(layout.LABEL_WORKSPACE, "")
            stopped.append(StoppedContainer(container.name, workspace))
            if layout.LABEL_STANDBY in container.labels and workspace:
                from kanibako.session.standby import forget

                forget(resolve_project(paths, Path(workspace)), container.name)
    return stopped
