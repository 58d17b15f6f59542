"""What a container should look like, independent of the engine that runs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Mount:
    """A host path bind-mounted into the container (read-write unless ``read_only``)."""

    source: Path
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class TmpfsMount:
    """A tmpfs at ``target``; read-only ones hide whatever lies beneath them."""

    target: str
    read_only: bool = True
    size: str | None = None  # engine size syntax, e.g. "64m"; None = engine default


@dataclass(frozen=True)
class OverlayMount:
    """``lower`` seen at ``target`` read-only, with the container's writes kept in ``upper``.

    ``work`` is overlayfs's scratch directory, on the same file system as
    ``upper``. Podman mounts it itself (``:O``); Docker through a local
    volume of type overlay (a rootful daemon only).
    """

    lower: Path
    target: str
    upper: Path
    work: Path


@dataclass(frozen=True)
class ContainerSpec:
    """One container to run: everything the engine needs, nothing engine-specific.

    ``keep_id`` asks for the host user to be the container user, whatever
    USER the image names (rootless Podman: ``--userns=keep-id --user
    UID:GID``; a rootful engine: ``--user UID:GID`` of the invoking user, 0:0
    for root; rootless Docker: ``--user 0:0``, its root is the user); a
    remote Podman ignores it. ``tty`` is a
    wish: the terminal flag is only emitted when stdin really is a terminal.
    ``pull="never"`` makes a missing image an immediate engine error (status
    125) instead of a silent pull attempt.
    """

    image: str
    name: str | None = None
    mounts: tuple[Mount, ...] = ()
    tmpfs: tuple[TmpfsMount, ...] = ()
    overlays: tuple[OverlayMount, ...] = ()
    env: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    workdir: str | None = None
    entrypoint: str | None = None
    command: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    keep_id: bool = True
    user: str | None = None
    interactive: bool = False
    tty: bool = False
    detach: bool = False
    remove: bool = True
    network: str | None = None
    hostname: str | None = None
    init: bool = False
    pull: str | None = None  # "never", "missing", "always"; None = engine default
    no_new_privileges: bool = False
    cap_drop: tuple[str, ...] = ()
    cap_add: tuple[str, ...] = ()
    seccomp_profile: str | None = None  # a host path; None = the engine's default profile
    memory: str | None = None
    cpus: str | None = None
    pids_limit: int | None = None

    def __post_init__(self) -> None:
        # Freeze the mappings and sequences so a spec can be shared safely.
        object.__setattr__(self, "env", _frozen(self.env))
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "mounts", tuple(self.mounts))
        object.__setattr__(self, "tmpfs", tuple(self.tmpfs))
        object.__setattr__(self, "overlays", tuple(self.overlays))
        object.__setattr__(self, "command", tuple(self.command))
        object.__setattr__(self, "cap_drop", tuple(self.cap_drop))
        object.__setattr__(self, "cap_add", tuple(self.cap_add))
