"""Which container engine to drive, found without running it.

Detection must be nearly free (it sits on every launch), so it only looks at
the environment and PATH: no ``podman info`` round trip.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kanibako_runtime.errors import EngineNotFoundError

EngineKind = Literal["podman", "docker"]
ENGINE_ENV = "KANIBAKO_ENGINE"
_PREFERENCE: tuple[EngineKind, ...] = ("podman", "docker")


@dataclass(frozen=True)
class Engine:
    """A container engine: its kind, its binary, and how it runs containers.

    ``rootless`` is true for a local Podman run by a non-root user (where
    ``--userns=keep-id`` applies), and for a rootless Docker daemon (its
    socket belongs to the invoking non-root user). ``remote`` means the engine talks to another
    host (``CONTAINER_HOST`` for ``podman --remote``, ``DOCKER_HOST``): bind
    mount sources are then that host's paths.
    """

    kind: EngineKind
    binary: str
    rootless: bool = False
    remote: bool = False

    def base_argv(self) -> list[str]:
        """The engine invocation every command starts with."""
        if self.kind == "podman" and self.remote:
            return [self.binary, "--remote"]
        return [self.binary]


def find_executable(name: str, path: str | None) -> str | None:
    """Like shutil.which, without importing shutil (it drags in compressors)."""
    if "/" in name:
        return name if os.access(name, os.X_OK) and not Path(name).is_dir() else None
    for directory in (path if path is not None else os.defpath).split(os.pathsep):
        candidate = f"{directory or '.'}/{name}"
        if os.access(candidate, os.X_OK) and not Path(candidate).is_dir():
            return candidate
    return None


def _kind_of(choice: str) -> EngineKind | None:
    name = Path(choice).name
    for kind in _PREFERENCE:
        if name.startswith(kind):
            return kind
    return None


def _make(kind: EngineKind, binary: str, env: Mapping[str, str], euid: int) -> Engine:
    if kind == "podman":
        remote = bool(env.get("CONTAINER_HOST"))
        return Engine(kind, binary, rootless=not remote and euid != 0, remote=remote)
    host = env.get("DOCKER_HOST", "")
    return Engine(kind, binary, rootless=_rootless_docker(host, euid), remote=bool(host))


def _rootless_docker(host: str, euid: int) -> bool:
    """Whether ``DOCKER_HOST`` is a daemon the invoking (non-root) user runs itself.

    A rootless dockerd listens on a socket its user owns (usually
    ``$XDG_RUNTIME_DIR/docker.sock``); a rootful one's socket is root's. One
    stat, no daemon round trip. (A Docker context naming a rootless daemon is
    not seen: set DOCKER_HOST.)
    """
    if euid == 0 or not host.startswith("unix://"):
        return False
    try:
        return Path(host.removeprefix("unix://")).stat().st_uid == euid
    except OSError:
        return False


def detect_engine(
    choice: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    euid: int | None = None,
) -> Engine:
    """The engine to use: ``KANIBAKO_ENGINE``, else ``choice`` (config), else Podman, else Docker.

    A choice is an engine name (``podman``, ``docker``) or a path to its binary.
    Raises EngineNotFoundError with one line saying what is missing.
    """
    env = os.environ if env is None else env
    euid = os.geteuid() if euid is None else euid
    explicit = env.get(ENGINE_ENV) or choice
    if explicit:
        where = f"${ENGINE_ENV}" if env.get(ENGINE_ENV) else "config 'engine'"
        kind = _kind_of(explicit)
        if kind is None:
            raise EngineNotFoundError(
                f"unknown container engine {explicit!r} ({where}); use podman or docker"
            )
        binary = find_executable(explicit, env.get("PATH"))
        if binary is None:
            raise EngineNotFoundError(f"container engine {explicit!r} ({where}) is not on PATH")
        return _make(kind, binary, env, euid)
    for kind in _PREFERENCE:
        binary = find_executable(kind, env.get("PATH"))
        if binary is not None:
            return _make(kind, binary, env, euid)
    raise EngineNotFoundError(
        "no container engine found: install Podman (preferred) or Docker, "
        f"or set ${ENGINE_ENV} to one on PATH"
    )
