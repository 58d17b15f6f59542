"""Every project this account knows, orphans among them, and purging one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kanibako_paths.known_projects import forget_project, known_decentralized
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.project import PROJECT_FILE, Project, project_at
from kanibako_paths.tomlfile import read_toml, table_at
from kanibako_paths.worksets import list_worksets


@dataclass(frozen=True)
class BoxEntry:
    """One project as ``box list`` shows it."""

    name: str
    mode: ProjectMode
    workspace: Path
    workspace_exists: bool
    metadata_dir: Path
    project_hash: str
    workset: str | None = None
    project: Project | None = None
    """The project itself (every entry ``list_boxes`` returns has it)."""


def _entry(project: Project) -> BoxEntry:
    return BoxEntry(
        name=project.name,
        mode=project.mode,
        workspace=project.workspace,
        workspace_exists=project.workspace.is_dir(),
        metadata_dir=project.metadata_dir,
        project_hash=project.project_hash,
        workset=project.workset,
        project=project,
    )


def _account_centric(paths: KanibakoPaths) -> list[BoxEntry]:
    if not paths.boxes_dir.is_dir():
        return []
    found = []
    for box in sorted(paths.boxes_dir.iterdir()):
        file = box / PROJECT_FILE
        if not file.is_file():
            continue  # not a box (or an init that never finished)
        identity = table_at(read_toml(file), "project", file)
        workspace = identity.get("workspace")
        if not isinstance(workspace, str):
            continue
        project = project_at(paths, ProjectMode.ACCOUNT_CENTRIC, Path(workspace))
        found.append(_entry(project))
    return found


def list_boxes(paths: KanibakoPaths) -> list[BoxEntry]:
    """Account-centric boxes, working set members and known decentralized projects."""
    entries = _account_centric(paths)
    for workset in list_worksets(paths):
        for member in workset.members:
            project = project_at(
                paths,
                ProjectMode.WORKSET,
                workset.workspace_dir(member.name),
                workset_name=workset.name,
                workset_root=workset.root,
                name=member.name,
                default_auth=workset.auth,
            )
            entries.append(_entry(project))
    for workspace in known_decentralized(paths):
        project = project_at(paths, ProjectMode.DECENTRALIZED, workspace)
        # A directory still there without .kanibako/ no longer is a project.
        if project.initialized or not workspace.exists():
            entries.append(_entry(project))
    return entries


def find_orphans(paths: KanibakoPaths) -> list[BoxEntry]:
    """Projects whose workspace directory no longer exists."""
    return [entry for entry in list_boxes(paths) if not entry.workspace_exists]


def purge_project(
    paths: KanibakoPaths, project: Project, remove_tree: Callable[[Path], None] | None = None
) -> list[Path]:
    """Delete ``project``'s state (metadata and shell; a workset's vault too); what was removed.

    The workspace is never touched; a vault living inside it stays with it.
    ``remove_tree`` (default ``shutil.rmtree``) lets the caller remove files a
    container engine left owned by another uid.
    """
    import shutil

    remove = remove_tree or shutil.rmtree

    removed: list[Path] = []
    targets = [project.metadata_dir]
    if project.mode is ProjectMode.WORKSET:
        targets.append(project.vault_root)
    shell_outside = not project.shell_dir.is_relative_to(project.metadata_dir)
    if shell_outside and project.shell_dir.is_relative_to(paths.data_dir):
        targets.append(project.shell_dir)  # an overridden shell kept in our own data dir
    for target in targets:
        if target.exists():
            remove(target)
            removed.append(target)
    forget_project(paths, project)
    return removed
