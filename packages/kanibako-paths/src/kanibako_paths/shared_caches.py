"""Shared download caches (pip, cargo, npm, uv, ...) mounted into every project.

A cache is a host directory under ``shared/global/{name}`` (or
``shared/{agent}/{name}`` for an agent's own caches) mounted at
``/home/agent/{container_path}``. Caches are lazy: a launch mounts one only if
its host directory exists, which ``kanibako shared init`` creates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kanibako_paths.config import load_global_config
from kanibako_paths.errors import ConfigError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.tomlfile import read_toml, table_at

KNOWN_CACHES: dict[str, str] = {
    "pip": ".cache/pip",
    "cargo": ".cargo/registry",
    "npm": ".npm",
    "uv": ".cache/uv",
}
GLOBAL_SCOPE = "global"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class SharedCache:
    """One cache: its host directory and where it appears under /home/agent."""

    name: str
    scope: str
    """``global`` or the agent id."""
    container_path: str
    """Relative to the container home (``/home/agent``)."""
    host_dir: Path

    @property
    def exists(self) -> bool:
        """Whether the host directory exists (only then is it mounted)."""
        return self.host_dir.is_dir()


def check_cache_name(name: str) -> str:
    """``name`` if it is usable as a directory name."""
    if not _NAME.fullmatch(name) or name in {".", ".."}:
        raise ConfigError(f"invalid shared cache name {name!r}")
    return name


def _container_path(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        raise ConfigError(f"{where} must be a path relative to the home directory: {value!r}")
    return str(path)


def global_caches(paths: KanibakoPaths) -> list[SharedCache]:
    """The known caches plus those in ``[shared]`` of kanibako.toml (which win)."""
    table = table_at(load_global_config(paths), "shared", paths.config_file)
    merged = dict(KNOWN_CACHES)
    for name, value in table.items():
        check_cache_name(name)
        merged[name] = _container_path(value, f"{paths.config_file}: [shared] {name}")
    return [
        SharedCache(name, GLOBAL_SCOPE, where, paths.global_shared_dir / name)
        for name, where in sorted(merged.items())
    ]


def agent_caches(paths: KanibakoPaths) -> list[SharedCache]:
    """Caches declared in the ``[shared]`` table of each agent TOML file."""
    if not paths.agents_dir.is_dir():
        return []
    found = []
    for file in sorted(paths.agents_dir.glob("*.toml")):
        agent = file.stem
        for name, value in sorted(table_at(read_toml(file), "shared", file).items()):
            check_cache_name(name)
            where = _container_path(value, f"{file}: [shared] {name}")
            found.append(SharedCache(name, agent, where, paths.agent_shared_dir(agent) / name))
    return found


def init_shared_cache(paths: KanibakoPaths, name: str, agent: str | None = None) -> Path:
    """Create the host directory of cache ``name`` (global, or the agent's); its path."""
    check_cache_name(name)
    if agent is None:
        if name not in {c.name for c in global_caches(paths)}:
            known = ", ".join(c.name for c in global_caches(paths))
            raise ConfigError(
                f"unknown shared cache {name!r} (known: {known}; add others to [shared] "
                f"in {paths.config_file})"
            )
        directory = paths.global_shared_dir / name
    else:
        check_cache_name(agent)
        directory = paths.agent_shared_dir(agent) / name
    directory.mkdir(parents=True, exist_ok=True)
    return directory
