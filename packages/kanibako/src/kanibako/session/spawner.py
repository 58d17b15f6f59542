"""Starting helper containers for the hub (the hub itself never imports the runtime).

A helper runs the director's image with the helper's own directory tree (the
request's mounts), the agent's binary mounts and env, and the hub's entrypoint
wrapper in front of the agent's command (built by the target with the model
the spawn asked for: the :class:`~kanibako.session.agent.HelperCommand`
the spawner is handed). It carries the
session's labels, so ``kanibako stop`` ends helpers together with their director.
A helper runs detached from kanibako, so each has an orphan reaper: if the
session's process dies without stopping it (SIGKILL), the helper is removed too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kanibako.session import layout
from kanibako_helpers.layout import CONTAINER_WORKSPACE
from kanibako_paths import Project
from kanibako_runtime import (
    ContainerSpec,
    Engine,
    EngineCommandError,
    Mount,
    OrphanReaper,
    inspect,
    remove,
    run_detached,
    stop,
)

if TYPE_CHECKING:
    from kanibako.session.agent import HelperCommand
    from kanibako.session.egress.launch_hook import EgressSession
    from kanibako.session.helper_clones import HelperClones
    from kanibako.session.helper_spare import SpareRefill
    from kanibako_helpers import SpawnRequest


@dataclass
class HelperContainer:
    """A started helper; ``stop`` is idempotent (the hub and the session may both call it)."""

    engine: Engine
    name: str
    # Called once the container is gone (the session's egress closes its socket).
    on_stopped: Callable[[], None] | None = field(default=None, repr=False)
    # Removes the container should this process die without stopping it.
    reaper: OrphanReaper | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def stopped(self) -> bool:
        """True once ``stop`` has finished."""
        return self._stopped

    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stop(self) -> None:
        """Stop and remove the container; a second caller waits for the first to finish."""
        # The lock is held across the engine calls: the session's final sweep
        # must not return while a hub thread is still stopping this helper.
        with self._guard:
            if self._stopped:
                return
            try:
                stop(self.engine, self.name)
            finally:
                remove(self.engine, self.name)
                self._stopped = True
                if self.reaper is not None:
                    self.reaper.disarm()
                if self.on_stopped is not None:
                    self.on_stopped()


@dataclass
class HelperSpawner:
    """The hub's ``Spawner``: one per session, remembering what it started."""

    engine: Engine
    project: Project
    image: str
    agent_argv: list[str]
    agent_mounts: list[Mount]
    env: Mapping[str, str]
    helper_command: HelperCommand | None = None
    clones: HelperClones | None = None
    """A git workspace's helpers each work in a clone (None: in ``~/helpers/N/workspace``)."""
    # Issue 12's rules for a helper (shared layers, privileges, limits, the
    # fleet's size), given the spec and how many helpers are running.
    harden: Callable[[ContainerSpec, int], ContainerSpec] = field(
        default=lambda spec, running: spec, repr=False
    )
    started: list[HelperContainer] = field(default_factory=list)
    # The session's egress: a helper goes out through the same proxy (its own socket).
    egress: EgressSession | None = None
    _spare: SpareRefill | None = field(default=None, repr=False)

    def spec_for(self, request: SpawnRequest, extra: tuple[Mount, ...] = ()) -> ContainerSpec:
        """The helper's container (pure; tested without an engine)."""
        mounts = [Mount(m.source, m.target, m.read_only) for m in request.mounts]
        mounts += extra
        env = {**self.env, **request.env}
        agent = request.agent_command or self.agent_command(request.model, resume=request.resume)
        argv = [*request.command, *agent]
        return ContainerSpec(
            image=self.image,
            name=request.container_name,
            mounts=(*mounts, *self.agent_mounts),
            env=env,
            workdir=request.workdir,
            entrypoint=argv[0],
            command=tuple(argv[1:]),
            labels={**layout.session_labels(self.project, role="helper")},
            interactive=True,
            detach=True,
            init=True,
        )

    def agent_command(self, model: str | None, *, resume: bool = False) -> list[str]:
        """The helper's agent: built by the target with ``model`` (None: the director's).

        ``resume``: the helper was running when its session died, so its agent
        continues the conversation in its own home. A session running no agent
        (a shell, ``-c``) gives its helpers the same command.
        """
        if self.helper_command is None:
            return list(self.agent_argv)
        return self.helper_command.argv(model, resume=resume) or list(self.agent_argv)

    def __call__(self, request: SpawnRequest, /) -> HelperContainer:
        running = sum(1 for helper in self.started if not helper.stopped)
        pending = None
        extra: tuple[Mount, ...] = ()
        if self.clones is not None:
            # The clone's checkout runs while the engine starts the container;
            # helper-init.sh waits for it (issue 15's spawn-time budget).
            workspace = next(m.source for m in request.mounts if m.target == CONTAINER_WORKSPACE)
            pending = self.clones.begin(request.helper, workspace)
            extra = tuple(pending.mounts)
        # Armed before the container exists: a death mid-start leaves nothing either.
        reaper = OrphanReaper(self.engine, request.container_name)
        try:
            spec = self.harden(self.spec_for(request, extra), running)
            if self.egress is not None:
                spec = self.egress.helper(request.helper).apply(spec)
            self._run(spec)
        except BaseException:
            reaper.disarm()
            if pending is not None:
                pending.abandon()
            raise
        if pending is not None:
            try:
                pending.finish()
            except BaseException:
                self.track(request, reaper).stop()
                raise
            self.refill_spare(workspace.parent.parent)
        helper = self.track(request, reaper)
        self.started.append(helper)
        return helper

    def refill_spare(self, helpers_root: Path, *, if_used: bool = False) -> None:
        """Prepare the next spawn's clone in ``helpers_root`` in the background (one at a time).

        ``if_used``: only in a project that has had a helper clone (a session's start:
        a project that never spawns a helper is not given a copy of its tree).
        """
        if self.clones is None or (self._spare is not None and self._spare.running):
            return
        if if_used and not any(helpers_root.glob("*/workspace/.git")):
            return
        self._spare = self.clones.refill_spare(helpers_root)

    def _run(self, spec: ContainerSpec) -> None:
        """Start the helper; a container of its name that a dead session left is removed first.

        The session holds the project's lock, so a container with this helper's
        name can only be one whose session died before stopping it.
        """
        try:
            run_detached(self.engine, spec)
        except EngineCommandError:
            if not spec.name or inspect(self.engine, spec.name) is None:
                raise
            remove(self.engine, spec.name)
            run_detached(self.engine, spec)

    def track(self, request: SpawnRequest, reaper: OrphanReaper | None = None) -> HelperContainer:
        """The started helper's handle: stopping it also closes its way out (and its reaper)."""
        egress, number = self.egress, request.helper
        on_stopped = None if egress is None else (lambda: egress.release(number))
        return HelperContainer(self.engine, request.container_name, on_stopped, reaper)

    def stop_all(self) -> None:
        """Stop every helper still running (the session is over)."""
        if self._spare is not None:
            self._spare.abandon()  # a half-built spare is removed; the next session refills
        errors = []
        for helper in self.started:
            try:
                helper.stop()
            except EngineCommandError as exc:
                errors.append(str(exc))
        if errors:
            raise EngineCommandError("; ".join(errors))
