"""The seam where a capability plugs into a session: contribute to the spec, tear down after.

A feature (the helper hub today; an egress proxy, control-file protection or a
warm standby later) is one object with two methods. The session calls each
feature's ``contribute`` in order, after the project, agent and image are
ready and before the container starts: that is where a host-side server is
started and where the feature says what the container needs. The additions
of all features are folded into the one ``ContainerSpec``
(:func:`kanibako.session.spec.build_spec`). ``teardown`` runs when the
session unwinds (the container exited, a signal, an error), in reverse order
of contribution, and only for features whose ``contribute`` returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kanibako_runtime import Mount, TmpfsMount

if TYPE_CHECKING:
    from kanibako.session.prepare import PreparedSession


@dataclass(frozen=True)
class SpecAdditions:
    """What one feature adds to the session's container.

    ``network`` None leaves the engine's default; two features naming
    different networks is a programming error (ValueError), not a silent
    last-one-wins.
    """

    mounts: tuple[Mount, ...] = ()
    tmpfs: tuple[TmpfsMount, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    network: str | None = None


class SessionFeature(Protocol):
    """A capability of the session, started before its container and stopped after."""

    @property
    def name(self) -> str:
        """A short name for diagnostics (``-v``) and errors."""
        ...

    def contribute(self, session: PreparedSession) -> SpecAdditions:
        """Start what runs on the host and say what the container needs (may raise)."""
        ...

    def serve(self) -> None:
        """Start what can wait until the container's engine client runs (its servers,
        whose sockets ``contribute`` bound): that work then overlaps the engine's."""
        ...

    def teardown(self) -> None:
        """Stop what ``contribute`` started (called once, also after a failed run)."""
        ...


@dataclass(frozen=True)
class FoldedAdditions:
    """Every feature's additions, in contribution order."""

    mounts: tuple[Mount, ...]
    tmpfs: tuple[TmpfsMount, ...]
    env: dict[str, str]
    network: str | None


def fold(additions: Iterable[SpecAdditions]) -> FoldedAdditions:
    """One value from many: mounts and tmpfs appended, env later-wins, one network."""
    mounts: list[Mount] = []
    tmpfs: list[TmpfsMount] = []
    env: dict[str, str] = {}
    network: str | None = None
    for added in additions:
        mounts += added.mounts
        tmpfs += added.tmpfs
        env.update(added.env)
        if added.network is not None:
            if network is not None and network != added.network:
                raise ValueError(
                    f"two session features ask for networks {network} and {added.network}"
                )
            network = added.network
    return FoldedAdditions(tuple(mounts), tuple(tmpfs), env, network)
