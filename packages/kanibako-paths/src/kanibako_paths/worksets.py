"""Working sets: named groups of projects under one root directory.

Layout under a root: ``boxes/{name}`` (metadata + shell), ``workspaces/{name}``
(the project), ``vault/{name}/share-{ro,rw}``. The registry
(``worksets.toml`` in the data directory) maps names to roots; each root keeps
its own ``workset.toml`` with the default auth and the member projects.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kanibako_paths.box_settings import AUTH_MODES
from kanibako_paths.errors import ConfigError, WorksetError
from kanibako_paths.file_lock import locked
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.project import utf8_path
from kanibako_paths.tomlfile import read_toml, table_at, write_toml

WORKSET_FILE = "workset.toml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class WorksetMember:
    """A project registered in a working set."""

    name: str
    source: str | None = None
    """Where its files were copied from by ``workset add``, if anywhere."""


@dataclass(frozen=True)
class Workset:
    """A working set: its name, root directory, default auth and member projects."""

    name: str
    root: Path
    auth: str = "shared"
    members: tuple[WorksetMember, ...] = ()

    @property
    def file(self) -> Path:
        """The working set's own description file."""
        return self.root / WORKSET_FILE

    def box_dir(self, name: str) -> Path:
        """Metadata directory of member ``name``."""
        return self.root / "boxes" / name

    def workspace_dir(self, name: str) -> Path:
        """Workspace (project files) of member ``name``."""
        return self.root / "workspaces" / name

    def vault_dir(self, name: str) -> Path:
        """Vault root of member ``name`` (holds ``share-ro`` and ``share-rw``)."""
        return self.root / "vault" / name

    def member(self, name: str) -> WorksetMember | None:
        """The member called ``name``, if registered."""
        return next((m for m in self.members if m.name == name), None)


def check_name(name: str, what: str) -> str:
    """``name`` if it is a safe directory name (letters, digits, ``._-``)."""
    if not _NAME.fullmatch(name) or name in {".", ".."}:
        raise WorksetError(f"invalid {what} name {name!r} (use letters, digits, '.', '_', '-')")
    return name


def _registry(paths: KanibakoPaths) -> dict[str, Path]:
    table = table_at(read_toml(paths.worksets_file), "worksets", paths.worksets_file)
    found: dict[str, Path] = {}
    for name, entry in table.items():
        root = entry.get("root") if isinstance(entry, dict) else None
        if not isinstance(root, str) or not Path(root).is_absolute():
            raise ConfigError(f"{paths.worksets_file}: [worksets.{name}] root must be absolute")
        found[name] = Path(root)
    return found


def _write_registry(paths: KanibakoPaths, registry: dict[str, Path]) -> None:
    table = {name: {"root": str(root)} for name, root in sorted(registry.items())}
    write_toml(paths.worksets_file, {"worksets": table})


def _read_workset(name: str, root: Path) -> Workset:
    file = root / WORKSET_FILE
    data = read_toml(file)
    auth = data.get("auth", "shared")
    if auth not in AUTH_MODES:
        raise ConfigError(f"{file}: auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
    members = []
    for member, entry in table_at(data, "projects", file).items():
        source = entry.get("source") if isinstance(entry, dict) else None
        members.append(WorksetMember(member, source if isinstance(source, str) else None))
    return Workset(name=name, root=root, auth=auth, members=tuple(members))


def _write_workset(workset: Workset) -> None:
    projects: dict[str, Any] = {}
    for member in workset.members:
        projects[member.name] = {"source": member.source} if member.source else {}
    write_toml(workset.file, {"name": workset.name, "auth": workset.auth, "projects": projects})


def list_worksets(paths: KanibakoPaths) -> list[Workset]:
    """Every registered working set, by name."""
    return [_read_workset(name, root) for name, root in sorted(_registry(paths).items())]


def load_workset(paths: KanibakoPaths, name: str) -> Workset:
    """The working set called ``name`` (an error naming it when unknown)."""
    root = _registry(paths).get(name)
    if root is None:
        raise WorksetError(f"no working set named {name!r} (see 'kanibako workset list')")
    return _read_workset(name, root)


def find_workset_member(paths: KanibakoPaths, directory: Path) -> tuple[Workset, str] | None:
    """The working set and member whose workspace contains ``directory``, if any."""
    if not paths.worksets_file.exists():
        return None  # the common case costs one stat
    for name, root in _registry(paths).items():
        try:
            rel = directory.relative_to(root / "workspaces")
        except ValueError:
            continue
        if rel.parts:
            workset = _read_workset(name, root)
            if workset.member(rel.parts[0]) is not None:
                return workset, rel.parts[0]
    return None


def create_workset(paths: KanibakoPaths, name: str, root: Path) -> Workset:
    """Register a new working set at ``root`` and create its directories."""
    check_name(name, "working set")
    root = root.expanduser().resolve()
    utf8_path(root)  # before anything is created: a failure later would leave a half set
    with locked(paths.worksets_file):
        registry = _registry(paths)
        if name in registry:
            raise WorksetError(f"working set {name!r} already exists (at {registry[name]})")
        if root in registry.values():
            raise WorksetError(f"{root} is already the root of another working set")
        if (root / WORKSET_FILE).exists():
            raise WorksetError(f"{root} already holds a working set ({WORKSET_FILE} exists)")
        for sub in ("boxes", "workspaces", "vault"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        workset = Workset(name=name, root=root)
        _write_workset(workset)
        registry[name] = root
        _write_registry(paths, registry)
    return workset


def delete_workset(paths: KanibakoPaths, name: str, *, purge: bool = False) -> Workset:
    """Unregister a working set; with ``purge`` also delete its root and everything in it."""
    with locked(paths.worksets_file):
        workset = load_workset(paths, name)
        registry = _registry(paths)
        del registry[name]
        _write_registry(paths, registry)
    if purge:
        import shutil

        shutil.rmtree(workset.root, ignore_errors=False)
    return workset


def _update_workset(workset: Workset, change: Callable[[Workset], Workset]) -> Workset:
    # Re-read under the lock: ``workset`` may be older than the file.
    with locked(workset.file):
        updated = change(_read_workset(workset.name, workset.root))
        _write_workset(updated)
    return updated


def set_workset_auth(paths: KanibakoPaths, name: str, auth: str) -> Workset:
    """Set the default auth (``shared`` or ``distinct``) of a working set's projects."""
    if auth not in AUTH_MODES:
        raise ConfigError(f"auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
    return _update_workset(load_workset(paths, name), lambda current: replace(current, auth=auth))


def register_member(workset: Workset, member: WorksetMember) -> Workset:
    """Record ``member`` in the working set's file (replacing one of the same name)."""

    def change(current: Workset) -> Workset:
        others = (m for m in current.members if m.name != member.name)
        return replace(current, members=(*others, member))

    return _update_workset(workset, change)


def unregister_member(workset: Workset, name: str) -> Workset:
    """Forget member ``name`` (its files are the caller's business)."""

    def change(current: Workset) -> Workset:
        if current.member(name) is None:
            raise WorksetError(f"working set {workset.name!r} has no project {name!r}")
        return replace(current, members=tuple(m for m in current.members if m.name != name))

    return _update_workset(workset, change)
