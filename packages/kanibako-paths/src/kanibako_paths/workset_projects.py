"""Adding projects to and removing them from a working set."""

from __future__ import annotations

import shutil
from pathlib import Path

from kanibako_paths.errors import WorksetError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.project import Project, project_at, resolve_project
from kanibako_paths.project_init import init_project
from kanibako_paths.worksets import (
    WorksetMember,
    check_name,
    load_workset,
    register_member,
    unregister_member,
)


def add_to_workset(
    paths: KanibakoPaths,
    workset_name: str,
    source: Path | None = None,
    *,
    name: str | None = None,
    vault: bool = True,
) -> Project:
    """Make ``{workset}/workspaces/{name}`` a project's workspace.

    With ``source``, its files are copied there (the source is left as it was);
    if the source already has kanibako state, that state is copied along
    (``box duplicate --to workset``). Without, an empty workspace is created.
    """
    workset = load_workset(paths, workset_name)
    if source is not None:
        source = source.expanduser().resolve()
        if not source.is_dir():
            raise WorksetError(f"{source} is not a directory")
    member = check_name(name or (source.name if source else ""), "project")
    if workset.member(member) is not None:
        raise WorksetError(f"working set {workset_name!r} already has a project {member!r}")
    workspace = workset.workspace_dir(member)
    if workspace.exists() and any(workspace.iterdir()):
        raise WorksetError(f"{workspace} exists and is not empty")
    if source is not None:
        existing = resolve_project(paths, source)
        if existing.initialized:
            from kanibako_paths.transfer import transfer_project

            return transfer_project(
                paths,
                existing,
                ProjectMode.WORKSET,
                move=False,
                workset=workset_name,
                name=member,
            )
        staging = workspace.with_name(f".{member}.adding")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(source, staging, symlinks=True)
        if workspace.exists():
            workspace.rmdir()
        staging.rename(workspace)
    else:
        workspace.mkdir(parents=True, exist_ok=True)
    workset = register_member(workset, WorksetMember(member, str(source) if source else None))
    project = project_at(
        paths,
        ProjectMode.WORKSET,
        workspace,
        workset_name=workset.name,
        workset_root=workset.root,
        name=member,
        default_auth=workset.auth,
    )
    return init_project(paths, project, vault=vault)


def remove_from_workset(
    paths: KanibakoPaths, workset_name: str, name: str, *, purge: bool = False
) -> list[Path]:
    """Take ``name`` out of the working set, deleting its box and vault; what was removed.

    The workspace files stay (they are no longer a workset project) unless ``purge``.
    """
    workset = load_workset(paths, workset_name)
    unregister_member(workset, name)
    removed = []
    targets = [workset.box_dir(name), workset.vault_dir(name)]
    if purge:
        targets.append(workset.workspace_dir(name))
    for target in targets:
        if target.exists():
            shutil.rmtree(target)
            removed.append(target)
    return removed
