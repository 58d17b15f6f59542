"""Moving (``box migrate``) or copying (``box duplicate``) a project between modes.

The data moves with the project: ``project.toml``, env, the shell and the
vault, and the workspace files when the destination workspace is elsewhere.
Everything is copied to a staging name beside its destination and renamed
into place; a migrate deletes the source only after every copy succeeded.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kanibako_paths.errors import StateTransferError
from kanibako_paths.known_projects import forget_project, remember_decentralized
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.project import Project, project_at
from kanibako_paths.project_init import reload_project, rewrite_identity
from kanibako_paths.sparse_copy import copy_keeping_holes
from kanibako_paths.worksets import (
    WorksetMember,
    check_name,
    load_workset,
    register_member,
)


@dataclass(frozen=True)
class Destination:
    """Where a transfer puts the project (before anything is written)."""

    mode: ProjectMode
    workspace: Path
    workset: str | None = None
    workset_root: Path | None = None
    name: str | None = None


def plan_destination(
    paths: KanibakoPaths,
    source: Project,
    to: ProjectMode,
    *,
    dest: Path | None = None,
    workset: str | None = None,
    name: str | None = None,
) -> Destination:
    """Work out the destination workspace; errors for impossible requests."""
    if to is ProjectMode.WORKSET:
        if not workset:
            raise StateTransferError("--to workset needs --workset NAME")
        target = load_workset(paths, workset)
        member = check_name(name or source.name, "project")
        if target.member(member) is not None or target.box_dir(member).exists():
            raise StateTransferError(f"working set {workset!r} already has a project {member!r}")
        return Destination(to, target.workspace_dir(member), target.name, target.root, member)
    if dest is not None:
        workspace = dest.expanduser().resolve()
    elif source.mode is ProjectMode.WORKSET:
        raise StateTransferError(
            f"moving out of a working set needs a new project directory (--dest DIR) for {to.value}"
        )
    else:
        workspace = source.workspace
    return Destination(to, workspace, name=name)


def transfer_project(
    paths: KanibakoPaths,
    source: Project,
    to: ProjectMode,
    *,
    move: bool,
    dest: Path | None = None,
    workset: str | None = None,
    name: str | None = None,
) -> Project:
    """Migrate (``move=True``) or duplicate ``source`` to mode ``to``; the new project."""
    if not source.initialized:
        raise StateTransferError(f"{source.workspace} has no kanibako state to transfer")
    plan = plan_destination(paths, source, to, dest=dest, workset=workset, name=name)
    target = project_at(
        paths,
        plan.mode,
        plan.workspace,
        workset_name=plan.workset,
        workset_root=plan.workset_root,
        name=plan.name,
    )
    if target.metadata_dir == source.metadata_dir:
        raise StateTransferError(f"{source.workspace} already is a {to.value} project there")
    if target.initialized or target.metadata_dir.exists():
        raise StateTransferError(f"{target.metadata_dir} already holds kanibako state")
    workspace_moves = target.workspace != source.workspace
    # An orphan being remapped goes to where its files already are: that may be full.
    if workspace_moves and source.workspace.is_dir() and _non_empty(target.workspace):
        raise StateTransferError(f"destination {target.workspace} exists and is not empty")
    vault_moves = _vault_moves(source, target)
    if workspace_moves:
        if source.workspace.is_dir():
            skip = [source.metadata_dir, source.vault_root, source.vault_ro, source.vault_rw]
            _copy_into_place(source.workspace, target.workspace, skip=skip)
        else:
            target.workspace.mkdir(parents=True, exist_ok=True)  # an orphan being remapped
    _copy_into_place(
        source.metadata_dir,
        target.metadata_dir,
        fixup=lambda staged: rewrite_identity(staged / "project.toml", target),
    )
    for src, dst in vault_moves:
        _copy_into_place(src, dst)
    _register(paths, plan, source, target)
    if move:
        _remove_source(paths, source, workspace_moves, [src for src, _ in vault_moves])
    return reload_project(paths, target)


def _vault_moves(source: Project, target: Project) -> list[tuple[Path, Path]]:
    moves = [
        (src, dst)
        for src, dst in (
            (source.vault_ro, _default_vault(target, "share-ro", source.vault_ro, source)),
            (source.vault_rw, _default_vault(target, "share-rw", source.vault_rw, source)),
        )
        if src != dst and src.is_dir()
    ]
    for _, dst in moves:
        if _non_empty(dst):
            raise StateTransferError(f"vault destination {dst} exists and is not empty")
    return moves


def _register(paths: KanibakoPaths, plan: Destination, source: Project, target: Project) -> None:
    if plan.mode is ProjectMode.DECENTRALIZED:
        remember_decentralized(paths, target.workspace)
    if plan.mode is ProjectMode.WORKSET and plan.workset:
        note = str(source.workspace) if source.mode is not ProjectMode.WORKSET else None
        register_member(load_workset(paths, plan.workset), WorksetMember(target.name, note))


def _default_vault(target: Project, leaf: str, source_path: Path, source: Project) -> Path:
    # A vault path the user overrode (outside the mode's default place) stays put.
    if not source_path.is_relative_to(source.vault_root):
        return source_path
    return target.vault_root / leaf


def _non_empty(directory: Path) -> bool:
    return directory.exists() and (not directory.is_dir() or any(directory.iterdir()))


def _copy_into_place(
    src: Path,
    dst: Path,
    *,
    skip: list[Path] | None = None,
    fixup: Callable[[Path], None] | None = None,
) -> None:
    """Copy ``src`` to a staging name beside ``dst``, then rename it to ``dst``."""
    skipped = {p.resolve() for p in skip or []}

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if (Path(directory) / n).resolve() in skipped}

    dst.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".staging", dir=dst.parent))
    try:
        shutil.copytree(
            src,
            staging,
            symlinks=True,
            ignore=ignore,
            dirs_exist_ok=True,
            copy_function=copy_keeping_holes,
        )
        if fixup is not None:
            fixup(staging)
        if dst.is_dir() and not any(dst.iterdir()):
            dst.rmdir()
        staging.rename(dst)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _remove_source(
    paths: KanibakoPaths, source: Project, workspace_moved: bool, vaults: list[Path]
) -> None:
    for vault in vaults:
        shutil.rmtree(vault, ignore_errors=True)
    root = source.vault_root
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    shutil.rmtree(source.metadata_dir, ignore_errors=True)
    if workspace_moved and source.workspace.is_dir():
        shutil.rmtree(source.workspace)
    forget_project(paths, source)
