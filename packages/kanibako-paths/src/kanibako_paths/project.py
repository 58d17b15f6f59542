"""A project and where each part of its state lives, for each of the three modes."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanibako_paths.box_settings import BOX_TABLE, validated_box_table
from kanibako_paths.errors import ProjectError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.tomlfile import read_toml, table_at

PROJECT_FILE = "project.toml"
ENV_FILE = "env"
DECENTRALIZED_DIR = ".kanibako"
SHELL_SUBDIR = "shell"


@dataclass(frozen=True)
class Project:
    """Everything known about one project's state, resolved from its directory."""

    mode: ProjectMode
    workspace: Path
    """The project files, mounted at ``/home/agent/workspace``."""
    metadata_dir: Path
    """The box: ``project.toml``, ``env``, the shell and any other per-project state."""
    shell_dir: Path
    """The persistent home, mounted at ``/home/agent``."""
    vault_ro: Path
    vault_rw: Path
    vault_enabled: bool
    project_hash: str
    """sha256 of the resolved workspace path (the account-centric box name)."""
    name: str
    layout: str
    """``simple``, ``default`` or ``robust``."""
    auth: str
    """``shared`` (credentials synced from the host) or ``distinct``."""
    project_config_file: Path
    env_file: Path
    initialized: bool
    workset: str | None = None
    """The working set's name (workset mode only)."""
    workset_root: Path | None = None

    @property
    def vault_root(self) -> Path:
        """The default directory holding ``share-ro`` and ``share-rw`` for this mode."""
        return default_vault_root(self.mode, self.workspace, self.workset_root, self.name)


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``, cheap to import on start-up paths."""
    try:
        # CPython's built-in sha256 spares `status` loading OpenSSL (~2 ms).
        fast = importlib.import_module("_sha256")
    except ImportError:
        import hashlib

        return hashlib.sha256(data).hexdigest()
    digest: str = fast.sha256(data).hexdigest()
    return digest


def project_hash(workspace: Path) -> str:
    """The account-centric key of a project: sha256 of its resolved path."""
    return sha256_hex(utf8_path(workspace))


def utf8_path(path: Path) -> bytes:
    """``path`` as UTF-8; a ProjectError naming it when it is not valid UTF-8.

    Paths are recorded in TOML files, which hold only UTF-8 text.
    """
    try:
        return str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise ProjectError(
            f"{shown}: the path is not valid UTF-8; rename the directory to use it"
        ) from None


def default_vault_root(
    mode: ProjectMode, workspace: Path, workset_root: Path | None, name: str
) -> Path:
    """Where a mode keeps the vault when ``vault_ro``/``vault_rw`` are not overridden."""
    if mode is ProjectMode.WORKSET and workset_root is not None:
        return workset_root / "vault" / name
    return workspace / "vault"


def resolve_project(paths: KanibakoPaths, directory: Path) -> Project:
    """Detect the mode of ``directory`` and resolve where its state lives.

    Detection order: inside a working set's ``workspaces/{name}`` (a registered
    member) -> workset; an initialized account-centric box -> account-centric;
    ``{dir}/.kanibako/project.toml`` -> decentralized; otherwise account-centric
    (``boxes/{sha256}``). Nothing is written.
    """
    directory = directory.expanduser().resolve()
    member = None
    if paths.worksets_file.exists():  # most accounts have none: skip loading that code
        from kanibako_paths.worksets import find_workset_member

        member = find_workset_member(paths, directory)
    if member is not None:
        workset, name = member
        return project_at(
            paths,
            ProjectMode.WORKSET,
            workset.workspace_dir(name),
            workset_name=workset.name,
            workset_root=workset.root,
            name=name,
            default_auth=workset.auth,
        )
    # The agent of an account-centric project can write ``{workspace}/.kanibako``
    # (only an existing one is hidden from it): were its project.toml to win,
    # it could mount any host directory as the next session's home. So an
    # initialized account-centric box keeps the project account-centric
    # (``box migrate`` removes the box when it moves a project out).
    if (paths.boxes_dir / project_hash(directory) / PROJECT_FILE).is_file():
        return project_at(paths, ProjectMode.ACCOUNT_CENTRIC, directory)
    marker = directory / DECENTRALIZED_DIR / PROJECT_FILE
    if marker.is_file():
        return project_at(paths, ProjectMode.DECENTRALIZED, directory)
    if os.path.lexists(marker):
        # A directory, FIFO or dangling link there is not "no project": taking
        # the account-centric branch would silently write state somewhere else.
        raise ProjectError(f"{marker}: not a regular file; move it aside or fix it")
    return project_at(paths, ProjectMode.ACCOUNT_CENTRIC, directory)


def metadata_dir_for(
    paths: KanibakoPaths,
    mode: ProjectMode,
    workspace: Path,
    workset_root: Path | None = None,
    name: str | None = None,
) -> Path:
    """Where ``mode`` keeps the metadata (box) of the project at ``workspace``."""
    if mode is ProjectMode.DECENTRALIZED:
        return workspace / DECENTRALIZED_DIR
    if mode is ProjectMode.WORKSET:
        if workset_root is None or name is None:
            raise ValueError("workset mode needs the working set root and the project name")
        return workset_root / "boxes" / name
    return paths.boxes_dir / project_hash(workspace)


def project_at(
    paths: KanibakoPaths,
    mode: ProjectMode,
    workspace: Path,
    *,
    workset_name: str | None = None,
    workset_root: Path | None = None,
    name: str | None = None,
    default_auth: str = "shared",
) -> Project:
    """The project in ``mode`` at ``workspace``, with overrides read from its ``project.toml``."""
    workspace = workspace.expanduser().resolve()
    name = name or workspace.name or "root"
    metadata = metadata_dir_for(paths, mode, workspace, workset_root, name)
    config_file = metadata / PROJECT_FILE
    table = read_toml(config_file)
    box = validated_box_table(table_at(table, BOX_TABLE, config_file), config_file)
    check_box_paths(mode, workspace, box, f"{config_file}: [box]")
    vault_root = default_vault_root(mode, workspace, workset_root, name)
    return Project(
        mode=mode,
        workspace=workspace,
        metadata_dir=metadata,
        shell_dir=_path(box, "shell", metadata / SHELL_SUBDIR),
        vault_ro=_path(box, "vault_ro", vault_root / "share-ro"),
        vault_rw=_path(box, "vault_rw", vault_root / "share-rw"),
        vault_enabled=bool(box.get("vault_enabled", True)),
        project_hash=project_hash(workspace),
        name=name,
        layout=str(box.get("layout", "default")),
        auth=str(box.get("auth", default_auth)),
        project_config_file=config_file,
        env_file=metadata / ENV_FILE,
        initialized=config_file.is_file(),
        workset=workset_name,
        workset_root=workset_root,
    )


_MOUNTED_PATH_KEYS = ("shell", "vault_ro", "vault_rw")


def check_box_paths(
    mode: ProjectMode, workspace: Path, box: dict[str, str | bool], where: str
) -> None:
    """Refuse a decentralized project whose ``[box]`` mounts a path outside it.

    A decentralized ``project.toml`` lives among the project's own files, so it
    is only as trustworthy as they are: an agent that could write them (in an
    outer project's workspace, say) could plant ``shell = "/home/user"`` and
    have the next launch mount any host directory. Its state travels with the
    project, so its mounts must stay inside it.
    """
    if mode is not ProjectMode.DECENTRALIZED:
        return
    root = workspace.resolve()
    for key in _MOUNTED_PATH_KEYS:
        value = box.get(key)
        if not isinstance(value, str):
            continue
        target = Path(value).expanduser().resolve()
        if target != root and root not in target.parents:
            raise ProjectError(
                f"{where} {key} = {value!r} is outside the project {root}: "
                "a decentralized project keeps its state inside it"
            )


def read_project_file(project: Project) -> dict[str, Any]:
    """The whole ``project.toml`` of ``project`` (empty when not initialized)."""
    return read_toml(project.project_config_file)


def _path(box: dict[str, str | bool], key: str, default: Path) -> Path:
    value = box.get(key)
    return Path(value) if isinstance(value, str) else default
