"""The helper hub as a session feature: hub and spawner started before the director, stopped after.

The hub's mounts and env (its socket, the director's token, the message log,
the bundled CLI) go into the director's container; the spawner it is handed
starts helper containers from the director's image, env and agent mounts,
with the agent's helper command (:class:`kanibako.session.agent.HelperCommand`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from kanibako.session.egress.launch_hook import EgressSession
from kanibako.session.features import SpecAdditions
from kanibako.session.prepare import PreparedSession
from kanibako.session.spec import SHELL_ARGV, session_env
from kanibako_runtime import ContainerSpec

Harden = Callable[[ContainerSpec, int], ContainerSpec]


class HelperHubFeature:
    """``kanibako helper ...`` inside the session (off with ``--no-helpers``)."""

    name = "helpers"

    def __init__(
        self, harden: Harden = lambda spec, running: spec, egress: EgressSession | None = None
    ) -> None:
        self._running = ExitStack()
        self._serve: Callable[[], None] = lambda: None
        # The box's rules for each helper (privileges, limits, the fleet's size).
        self._harden = harden
        # Helpers go out through the session's proxy, each on its own socket.
        self._egress = egress

    def contribute(self, session: PreparedSession) -> SpecAdditions:
        # Imported here: a session with --no-helpers never loads the hub. Not in a
        # thread ahead of time either: such a thread took the interpreter lock from
        # the launch's file reads (each waits up to the 5 ms switch interval to get it
        # back), and the launch reached its container 20-40 ms later (bench/launch_overhead.py).
        from kanibako.session import hub
        from kanibako.session.helper_clones import HelperClones
        from kanibako.session.spawner import HelperSpawner

        agent = session.agent
        project = session.project
        clones = HelperClones.for_workspace(project.workspace, project.project_config_file)
        spawner = HelperSpawner(
            session.engine,
            session.project,
            session.image,
            agent.argv or SHELL_ARGV,
            agent.mounts,
            session_env(agent, session.user_env, session.project),
            helper_command=agent.helper_command,
            clones=clones,
            harden=self._harden,
            egress=self._egress,
        )
        with ExitStack() as starting:
            # Unwound in reverse: the hub stops first, then any helper left running,
            # then the hub's record of them as stopped is on disk (before the lock
            # is released: the next session must not read them as interrupted).
            starting.callback(hub.wait_recorded, session.paths, session.project)
            starting.callback(spawner.stop_all)
            handle = starting.enter_context(
                hub.hub_session(session.paths, session.project, spawner, serve_later=True)
            )
            self._serve = handle.serve
            self._running = starting.pop_all()
        # A spare clone the last session used (or did not finish) is made again, in the
        # background and below the session's priority (see helper_spare).
        spawner.refill_spare(project.shell_dir / "helpers", if_used=True)
        return SpecAdditions(mounts=tuple(handle.mounts), env=dict(handle.env))

    def serve(self) -> None:
        """Start the hub on its bound socket: the launch calls this once the engine client runs."""
        self._serve()

    def teardown(self) -> None:
        self._running.close()
