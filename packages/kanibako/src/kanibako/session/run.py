"""The launch path, forward only: resolve -> prepare -> features -> one ContainerSpec -> run -> teardown.

1. :func:`~kanibako.session.prepare.resolve`: the project, its config (read
   once), the engine and the container name; then the project lock is taken
   (a second session is refused at once, before anything slow happens). The
   CLI does this much itself, then forks the session's supervisor
   (kanibako.session.supervisor), which runs the rest in :func:`run_locked`;
2. :func:`~kanibako.session.prepare.prepare`: initialize the project, snapshot
   share-rw, prepare the agent (credentials);
3. make sure the image exists; each :class:`~kanibako.session.features.SessionFeature`
   contributes (the helper hub starts); build one ContainerSpec and run it in
   the foreground.

Unwinding happens in reverse on every exit path (the container exits, SIGINT,
SIGTERM, SIGHUP, an error): stop the container, write credentials back, tear
the features down (the hub stops), release the lock.
"""

from __future__ import annotations

import gc
import shlex
import sys
from collections.abc import Callable
from contextlib import ExitStack

from kanibako.session.egress.launch_hook import EgressSession, start_egress
from kanibako.session.features import SessionFeature, SpecAdditions
from kanibako.session.image import LaunchImage
from kanibako.session.prepare import (
    Echo,
    PreparedSession,
    ResolvedSession,
    SessionRequest,
    prepare,
    resolve,
)
from kanibako.session.rules import SessionRules, session_rules
from kanibako.session.signals import SessionInterrupted, signals_unwind
from kanibako.session.spec import build_spec
from kanibako_runtime import LOCK_FILE_NAME, ContainerSpec, Engine, ProjectLock, foreground

__all__ = [
    "SessionRequest",
    "echo_stderr",
    "run_locked",
    "run_session",
    "session_features",
    "take_lock",
]


def run_session(request: SessionRequest, echo: Echo) -> int:
    """Run one session to its end in this process; the exit status is the container's (128+N on signal N).

    ``echo`` prints one diagnostic line to stderr (used for ``-v`` and hints).
    The CLI runs sessions under a supervisor instead (kanibako.session.supervisor),
    which calls :func:`run_locked` after taking the lock here with :func:`take_lock`.
    """
    resolved = resolve(request)
    return run_locked(resolved, take_lock(resolved), echo)


def take_lock(resolved: ResolvedSession) -> ProjectLock:
    """The project's session lock, taken at once, or ProjectLockedError naming its holder."""
    project = resolved.project
    lock = ProjectLock(project.metadata_dir / LOCK_FILE_NAME, label=str(project.workspace))
    lock.acquire(container=resolved.name, mode=resolved.mode)
    return lock


def _nothing(*args: object) -> None:
    """No hook."""


def run_locked(
    resolved: ResolvedSession,
    lock: ProjectLock,
    echo: Echo,
    *,
    started: Callable[[], None] = _nothing,
    closing: Callable[[], None] = _nothing,
    ended: Callable[[int], None] = _nothing,
) -> int:
    """The session under ``lock`` (held), to its end; the lock is released before this returns.

    ``started`` is called once the container is starting, ``closing`` after the
    session's teardown and before the lock is released (what the session's
    terminal must say goes before another session can take the project),
    ``ended`` with the exit status once the lock is released, before the
    session's after-work (preparing the next standby).
    """
    after: list[Callable[[], None]] = []
    with signals_unwind():
        try:
            try:
                if lock.stale is not None:
                    echo(f"the last session here ({lock.stale.describe()}) died without ending")
                status = _locked_session(resolved, echo, after, started)
            except SessionInterrupted as interrupted:
                echo(f"session ended: {interrupted}")
                status = interrupted.exit_code
                after.clear()  # whoever stopped it wants nothing left running
            finally:
                try:
                    closing()
                finally:
                    lock.release()
        except SessionInterrupted as interrupted:  # a signal during the closing itself
            return interrupted.exit_code
    gc.enable()  # a session that never reached its container (see serve)
    ended(status)
    # After the lock is released: a forked child must not inherit it.
    for job in after:
        job()
    return status


def session_features(
    session: PreparedSession, rules: SessionRules, egress: EgressSession | None = None
) -> list[SessionFeature]:
    """The features of this session, in the order they contribute (and reverse teardown)."""
    features: list[SessionFeature] = []
    if not session.options.no_helpers:
        from kanibako.session.helpers_feature import HelperHubFeature

        features.append(HelperHubFeature(harden=rules.helper_spec, egress=egress))
    return features


def _quiet(message: str) -> None:
    """A no-op echo for diagnostics nobody asked for."""


def _locked_session(
    resolved: ResolvedSession,
    echo: Echo,
    after: list[Callable[[], None]],
    started: Callable[[], None],
) -> int:
    verbose = resolved.request.verbose
    debug = echo if verbose else _quiet
    session = prepare(resolved)
    agent, engine = session.agent, resolved.engine
    debug(
        f"engine: {engine.kind}{' (rootless)' if engine.rootless else ''}; target: {agent.target_name}"
    )
    with ExitStack() as stack:
        # agent.finish runs once: registered first for a failure before the
        # container, and again (the call that counts) after the features, so
        # that credentials are written back before the hub stops.
        stack.callback(agent.finish)
        # The box's rules (issue 12): checked before anything starts; their
        # teardown (the sweeps) runs last, after the helpers have stopped.
        rules = session_rules(resolved.paths, session.project, engine)
        stack.callback(rules.teardown, echo)
        launch_image = LaunchImage(engine, resolved.image, verbose=verbose, echo=echo)
        launch_image.ensure()
        # Egress (issue 11): the network mode, and in allowlist mode the proxy the
        # box's only way out goes through; closed (and its denials named) at teardown.
        egress = start_egress(
            resolved.paths,
            session.project,
            echo,
            mode=resolved.config.values.get("network_mode", "allowlist"),
            target=(agent.target_name, list(agent.network_hosts)),
        )
        stack.callback(egress.close)
        additions: list[SpecAdditions] = []
        features = session_features(session, rules, egress)
        for feature in features:
            additions.append(feature.contribute(session))
            stack.callback(feature.teardown)
            debug(f"session feature started: {feature.name}")
        stack.callback(agent.finish)
        spec = build_spec(
            resolved.paths,
            session.project,
            resolved.image,
            agent,
            resolved.command,
            additions=additions,
            user_env=session.user_env,
            name=resolved.name,
        )
        spec = egress.director().apply(rules.apply(spec))
        warm = Warm.for_session(resolved, spec)
        agent.session_started()

        def serve() -> None:
            # The proxy's and the hub's sockets are bound already: their servers
            # start while the engine starts the container (the proxy first: the
            # hub's spawns use it).
            egress.serve()
            for feature in features:
                feature.serve()
            gc.enable()  # off while the launch loaded its modules (kanibako.cli.main)
            started()

        status = warm.run(debug, serve) if warm.name else None
        if status is None:
            status = _run_container(engine, spec, debug, serve)
            if launch_image.recover(status) or _removed_stale(engine, spec, status, echo):
                status = _run_container(engine, spec, debug, serve)
        agent.session_ended(status)
    after.append(lambda: warm.prepare_next(status))
    return status


class Warm:
    """This session's use of the project's standby (``keep_warm``), and the next one's preparation."""

    def __init__(self, resolved: ResolvedSession, spec: ContainerSpec, keep_warm: int) -> None:
        self.resolved, self.spec, self.keep_warm = resolved, spec, keep_warm
        self.name: str | None = None

    @classmethod
    def for_session(cls, resolved: ResolvedSession, spec: ContainerSpec) -> Warm:
        # Every socket the session serves (hub, egress) is bound as its project's
        # directory, so the spec of one session equals the next's; whatever a
        # standby could hold stale (a bind source replaced since) is checked by claim.
        warm = cls(resolved, spec, resolved.keep_warm)
        if warm.keep_warm:
            from kanibako.session import standby

            key = standby.spec_key(resolved.engine, spec)
            warm.name = standby.claim(resolved.project, resolved.engine, key)
        return warm

    def run(self, debug: Echo, started: Callable[[], None]) -> int | None:
        """The session's command in the standby; None when the standby turned out gone."""
        from kanibako_runtime import exec_foreground, inspect

        assert self.name is not None  # noqa: S101 - only called with a claimed standby
        argv = [self.spec.entrypoint or "", *self.spec.command]
        debug(f"warm standby: {self.name}")
        status = exec_foreground(
            self.resolved.engine,
            self.name,
            argv,
            workdir=self.spec.workdir,
            announce=lambda cmd: debug("$ " + shlex.join(cmd)),
            started=started,
        )
        if status == 125 and inspect(self.resolved.engine, self.name) is None:
            # Said always: the engine has just printed its own "no such container".
            echo_stderr(f"the standby {self.name} is gone; starting a fresh container")
            self.name = None
            return None
        return status

    def prepare_next(self, status: int) -> None:
        """Remove the container just used and fork off the next standby's start.

        Not after a session ended by a signal (128+N: ``kanibako stop``, a
        kill): whoever stopped it wants nothing left running.
        """
        if not self.keep_warm:
            return
        from kanibako.session import standby

        if status >= 128:
            if self.name:
                standby.remove_in_background(self.resolved.engine, self.name)
            return
        standby.prepare_next(
            self.resolved.project, self.resolved.engine, self.spec, self.keep_warm, self.name
        )
        from kanibako.session import launcher

        launcher.keep_warm(self.keep_warm)


def _removed_stale(engine: Engine, spec: ContainerSpec, status: int, echo: Echo) -> bool:
    """After a name clash: remove the container a dead session left behind.

    We hold the project lock, so a container with this session's name cannot
    belong to a live session. (Podman's ``--replace`` would do this up front,
    but it prints the replaced name on stdout, in the middle of the session's
    own output.)
    """
    if status != 125 or not spec.name:
        return False
    from kanibako_runtime import inspect, remove

    if inspect(engine, spec.name) is None:
        return False
    remove(engine, spec.name)
    echo(f"removed {spec.name}, left running by a session that died; starting again")
    return True


def _run_container(
    engine: Engine, spec: ContainerSpec, debug: Echo, started: Callable[[], None]
) -> int:
    with foreground(engine, spec, announce=lambda argv: _announce(argv, spec, debug)) as container:
        started()  # while the engine starts the container
        status = container.wait()
    if status in (125, 126, 127):
        debug(f"the engine ended with status {status} (125: engine error, 126/127: command)")
        from kanibako.doctor.known_failures import (
            diagnose_engine_failure,
            diagnose_open_network_failure,
        )
        from kanibako.errors import CliFailure

        tail = container.stderr_tail()
        # No network asked for (open mode, the engine's default): a failed network is ours to name.
        open_mode = spec.network is None and diagnose_open_network_failure(tail)
        problem = open_mode or diagnose_engine_failure(tail)
        if problem is not None:
            # A host problem, not the session's command: say which, and exit 1.
            raise CliFailure(problem)
    return status


def _announce(argv: list[str], spec: ContainerSpec, debug: Echo) -> None:
    debug("$ " + shlex.join(argv))
    if spec.env:
        debug("env (values hidden): " + " ".join(sorted(spec.env)))


def echo_stderr(message: str) -> None:
    """Print a diagnostic line the way every kanibako message looks."""
    print(f"kanibako: {message}", file=sys.stderr, flush=True)
