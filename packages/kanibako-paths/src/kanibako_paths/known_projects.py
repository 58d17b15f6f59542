"""The records that list projects: decentralized ones seen, and working set members.

Decentralized projects live anywhere, so ``box list`` learns about them here
(``projects.toml`` in the data directory) when they are created or migrated.
"""

from __future__ import annotations

from pathlib import Path

from kanibako_paths.errors import ConfigError
from kanibako_paths.file_lock import locked
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.project import Project
from kanibako_paths.tomlfile import read_toml, write_toml


def known_decentralized(paths: KanibakoPaths) -> list[Path]:
    """Workspaces of the decentralized projects recorded so far."""
    value = read_toml(paths.projects_file).get("decentralized", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{paths.projects_file}: decentralized must be a list of paths")
    return [Path(v) for v in value]


def remember_decentralized(paths: KanibakoPaths, workspace: Path) -> None:
    """Record ``workspace`` as a decentralized project."""
    with locked(paths.projects_file):
        known = known_decentralized(paths)
        if workspace not in known:
            _write(paths, [*known, workspace])


def forget_decentralized(paths: KanibakoPaths, workspace: Path) -> None:
    """Drop ``workspace`` from the record."""
    with locked(paths.projects_file):
        known = known_decentralized(paths)
        if workspace in known:
            _write(paths, [p for p in known if p != workspace])


def forget_project(paths: KanibakoPaths, project: Project) -> None:
    """Drop ``project`` from whichever record lists it (decentralized list or its workset)."""
    if project.mode is ProjectMode.DECENTRALIZED:
        forget_decentralized(paths, project.workspace)
    if project.mode is ProjectMode.WORKSET and project.workset:
        from kanibako_paths.worksets import load_workset, unregister_member

        workset = load_workset(paths, project.workset)
        if workset.member(project.name) is not None:
            unregister_member(workset, project.name)


def _write(paths: KanibakoPaths, workspaces: list[Path]) -> None:
    write_toml(paths.projects_file, {"decentralized": [str(p) for p in workspaces]})
