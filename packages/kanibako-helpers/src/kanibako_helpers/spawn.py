"""The seam between the hub and whatever starts containers.

The hub never imports the container runtime. It describes the helper it wants
as a :class:`SpawnRequest` and hands it to a :class:`Spawner` the CLI layer
supplies; the spawner returns a :class:`RunningHelper` the hub can stop later.
Spawners run in a worker thread, so they may block (an engine call takes ~0.3 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class BindMount:
    """A host path bound into the helper container (mirrors the runtime's Mount)."""

    source: Path
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class SpawnRequest:
    """Everything a spawner needs to start helper ``helper`` as a container.

    ``command`` is the entrypoint wrapper (helper-init.sh); the spawner appends
    ``agent_command``, or else the agent's own command line, to it.
    """

    helper: int
    parent: int
    depth: int
    breadth: int
    model: str | None
    container_name: str
    mounts: tuple[BindMount, ...]
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/home/agent/workspace"
    command: tuple[str, ...] = ()
    agent_command: tuple[str, ...] = ()
    """What runs instead of the agent (``helper spawn -c``); empty: the agent."""
    resume: bool = False
    """The helper was running when its session died: its agent continues its own conversation."""


class RunningHelper(Protocol):
    """A started helper container."""

    def stop(self) -> None:
        """Stop the container (and remove it); must be safe to call twice."""


class Spawner(Protocol):
    """Starts a helper container; raises on failure (the hub reports the message)."""

    def __call__(self, request: SpawnRequest, /) -> RunningHelper: ...
