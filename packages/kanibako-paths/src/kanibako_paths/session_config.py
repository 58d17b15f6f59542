"""The ``[protect]`` and ``[limits]`` tables: what a session may change, and how much it may use.

``[protect]`` lives in project.toml only (it is about that project's files):
``extra`` and ``writable`` are lists of workspace-relative paths added to or
taken from the control files kept read-only, ``privileged = true`` gives the
container the engine's default capabilities back.

``[limits]`` may be set in kanibako.toml for every project and in project.toml
per project (the project wins, key by key). ``memory``/``cpus``/``pids`` bound
the session's own container, ``helper_memory``/``helper_cpus``/``helper_pids``
each helper, ``helpers`` how many helpers may run at once, so the whole fleet
is bounded. ``"none"`` lifts one limit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kanibako_paths.errors import ConfigError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.project import Project
from kanibako_paths.tomlfile import read_toml, table_at

UNLIMITED = "none"
_MEMORY = re.compile(r"[1-9][0-9]*[bkmg]?")
_CPUS = re.compile(r"[0-9]+(\.[0-9]+)?")

# Defaults sized so the director plus a full fleet stays well inside one
# machine: pids 4096 + 8 x 1024 is far below a typical pid_max of 32768.
DEFAULT_LIMITS: dict[str, str] = {
    "memory": "8g",
    "cpus": "2",
    "pids": "4096",
    "helper_memory": "4g",
    "helper_cpus": "1",
    "helper_pids": "1024",
    "helpers": "8",
}


@dataclass(frozen=True)
class ProtectSettings:
    """A project's ``[protect]`` table, validated."""

    extra: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    privileged: bool = False


@dataclass(frozen=True)
class ContainerLimits:
    """The limits of one container (None: unlimited)."""

    memory: str | None
    cpus: str | None
    pids: int | None


@dataclass(frozen=True)
class ResourceLimits:
    """The effective ``[limits]``: the session, each helper, and the fleet's size."""

    session: ContainerLimits
    helper: ContainerLimits
    helpers: int | None
    sources: dict[str, str]  # key -> "project", "global" or "default"


def _relative_paths(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of workspace-relative paths")
    found = []
    for item in value:
        path = PurePosixPath(item)
        if not item or path.is_absolute() or ".." in path.parts or "\0" in item:
            raise ConfigError(f"{where}: {item!r} is not a path inside the workspace")
        found.append(str(path))
    return tuple(found)


def protect_settings(project: Project) -> ProtectSettings:
    """The project's ``[protect]`` table; a bad value is a ConfigError naming it."""
    source = project.project_config_file
    section = table_at(read_toml(source), "protect", source)
    unknown = set(section) - {"extra", "writable", "privileged"}
    if unknown:
        raise ConfigError(f"{source}: [protect] has no key {sorted(unknown)[0]!r}")
    privileged = section.get("privileged", False)
    if not isinstance(privileged, bool):
        raise ConfigError(f"{source}: [protect] privileged must be true or false")
    return ProtectSettings(
        extra=_relative_paths(section.get("extra", []), f"{source}: [protect] extra"),
        writable=_relative_paths(section.get("writable", []), f"{source}: [protect] writable"),
        privileged=privileged,
    )


def _check_limit(key: str, value: Any, source: Path) -> str:
    where = f"{source}: [limits] {key}"
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string or a whole number")
    text: str = value.strip().lower()
    if text == UNLIMITED:
        return text
    if key.endswith("memory") and not _MEMORY.fullmatch(text):
        raise ConfigError(f"{where}: {text!r} is not a size like 4g or 512m (or 'none')")
    if key.endswith("cpus") and (not _CPUS.fullmatch(text) or float(text) <= 0):
        raise ConfigError(f"{where}: {text!r} is not a positive number of CPUs (or 'none')")
    if (key.endswith("pids") or key == "helpers") and not (
        text.isascii() and text.isdigit() and 0 < int(text) <= 4_194_304
    ):
        raise ConfigError(f"{where}: {text!r} is not a positive whole number (or 'none')")
    return text


def _limits_table(file: Path) -> dict[str, str]:
    section = table_at(read_toml(file), "limits", file)
    unknown = set(section) - set(DEFAULT_LIMITS)
    if unknown:
        known = ", ".join(DEFAULT_LIMITS)
        raise ConfigError(f"{file}: [limits] has no key {sorted(unknown)[0]!r} (known: {known})")
    return {key: _check_limit(key, value, file) for key, value in section.items()}


def _container(values: dict[str, str], prefix: str) -> ContainerLimits:
    def pick(name: str) -> str | None:
        value = values[prefix + name]
        return None if value == UNLIMITED else value

    pids = pick("pids")
    return ContainerLimits(pick("memory"), pick("cpus"), None if pids is None else int(pids))


def resource_limits(paths: KanibakoPaths, project: Project | None) -> ResourceLimits:
    """Effective limits: project.toml over kanibako.toml over the defaults, key by key."""
    values = dict(DEFAULT_LIMITS)
    sources = dict.fromkeys(DEFAULT_LIMITS, "default")
    layers = [("global", paths.config_file)]
    if project is not None:
        layers.append(("project", project.project_config_file))
    for origin, file in layers:
        for key, value in _limits_table(file).items():
            values[key] = value
            sources[key] = origin
    helpers = values["helpers"]
    return ResourceLimits(
        session=_container(values, ""),
        helper=_container(values, "helper_"),
        helpers=None if helpers == UNLIMITED else int(helpers),
        sources=sources,
    )


def _describe(limits: ContainerLimits) -> str:
    return ", ".join(
        f"{name} {'unlimited' if value is None else value}"
        for name, value in (("memory", limits.memory), ("cpus", limits.cpus), ("pids", limits.pids))
    )


def describe_limits(limits: ResourceLimits) -> str:
    """One line for ``status``: the session's limits, each helper's, the fleet's size."""
    helpers = "unlimited" if limits.helpers is None else str(limits.helpers)
    line = f"session {_describe(limits.session)}; each helper {_describe(limits.helper)}; "
    line += f"helpers at once {helpers}"
    if os.geteuid() != 0 and not Path("/sys/fs/cgroup/cgroup.controllers").exists():
        # Rootless Podman cannot enforce limits without cgroup v2 (it ignores them).
        line += " (not enforced by rootless Podman on this cgroup v1 host)"
    return line
