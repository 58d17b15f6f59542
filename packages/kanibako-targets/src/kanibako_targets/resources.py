"""Agent resources and their sharing scope, and what each scope does at launch.

- ``shared``: bind-mounted from the agent's shared directory, so every
  project sees (and changes) one copy;
- ``seeded``: copied from the agent's shared directory into the home on the
  project's first run, then the project's own;
- ``project``: nothing is shared.

A resource's key is its path below the target's ``resource_root`` (for
Claude, ``plugins/`` is ``~/.claude/plugins``); its shared copy lives at
``{agent shared dir}/{key}``, the same place ``kanibako shared init --agent``
uses for the agent's named caches.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kanibako_runtime import Mount
from kanibako_targets.errors import SettingError
from kanibako_targets.values import ResourceMapping, ResourceScope


@dataclass(frozen=True)
class EffectiveResource:
    """A resource with its default and effective scope (``box resource list``)."""

    mapping: ResourceMapping
    scope: ResourceScope
    overridden: bool

    @property
    def key(self) -> str:
        """The resource's key (its path below the target's resource root)."""
        return self.mapping.path


def find_resource(mappings: Sequence[ResourceMapping], key: str) -> ResourceMapping:
    """The resource named ``key`` (the trailing ``/`` of a directory is optional)."""
    wanted = key.rstrip("/")
    for mapping in mappings:
        if mapping.relative == wanted:
            return mapping
    known = ", ".join(m.path for m in mappings) or "none"
    raise SettingError(f"unknown resource {key!r} (this target's resources: {known})")


def parse_scope(value: str, where: str = "") -> ResourceScope:
    """A scope name as a ``ResourceScope``; an error naming the choices otherwise."""
    try:
        return ResourceScope(value)
    except ValueError:
        prefix = f"{where}: " if where else ""
        choices = ", ".join(s.value for s in ResourceScope)
        raise SettingError(f"{prefix}scope must be one of {choices}, not {value!r}") from None


def effective_resources(
    mappings: Sequence[ResourceMapping],
    overrides: Mapping[str, str],
    *,
    overrides_from: str = "project override",
) -> list[EffectiveResource]:
    """Every resource with its scope after per-project overrides.

    Overrides for resources the target no longer declares are ignored.
    """
    by_key = {m.relative: m for m in mappings}
    chosen = {
        key.rstrip("/"): parse_scope(value, f"{overrides_from} {key}")
        for key, value in overrides.items()
        if key.rstrip("/") in by_key
    }
    return [
        EffectiveResource(m, chosen.get(m.relative, m.scope), m.relative in chosen)
        for m in mappings
    ]


def _copy(source: Path, destination: Path) -> None:
    # Links are copied as links: the shared directory is writable from any
    # container that mounts it, so its links are not to be followed.
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, destination, symlinks=True)
    elif source.is_file() and not source.is_symlink():
        shutil.copy2(source, destination)


def _no_links_below(root: Path, inner: PurePosixPath) -> bool:
    """True when no component of ``root/inner`` below ``root`` is a symbolic link."""
    current = root
    for part in inner.parts:
        current = current / part
        if current.is_symlink():
            return False
    return True


def apply_resources(
    resources: Sequence[EffectiveResource],
    *,
    home: Path,
    resource_root: str,
    shared_dir: Path,
    container_home: str,
    first_run: bool,
) -> list[Mount]:
    """Seed and share the resources of one launch; the mounts the shared ones need.

    A shared resource with no shared copy yet takes the project's copy (so
    switching a project to ``shared`` publishes what it has); a shared
    directory with neither is created empty; a shared file with neither is
    not mounted until one exists.
    """
    mounts: list[Mount] = []
    for resource in resources:
        inner = PurePosixPath(resource_root, resource.mapping.relative)
        in_home = home / inner
        in_shared = shared_dir / resource.mapping.relative
        if resource.scope is ResourceScope.SEEDED:
            fresh = first_run and not in_home.exists() and _no_links_below(home, inner)
            if fresh and in_shared.exists():
                _copy(in_shared, in_home)
        elif resource.scope is ResourceScope.SHARED:
            if not in_shared.exists() and not in_shared.is_symlink():
                if in_home.exists() and _no_links_below(home, inner):
                    _copy(in_home, in_shared)
                elif resource.mapping.is_directory:
                    in_shared.mkdir(parents=True, exist_ok=True)
            if in_shared.exists() and not in_shared.is_symlink():
                mounts.append(Mount(in_shared, f"{container_home}/{inner}"))
    return mounts


def agent_shared_mounts(
    shared: Mapping[str, str], *, shared_dir: Path, container_home: str
) -> list[Mount]:
    """Mounts for the agent TOML's ``[shared]`` caches that exist on the host (lazy)."""
    return [
        Mount(shared_dir / name, f"{container_home}/{PurePosixPath(relative)}")
        for name, relative in sorted(shared.items())
        if (shared_dir / name).is_dir()
    ]
