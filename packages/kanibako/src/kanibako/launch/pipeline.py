"""The launch pipeline of DESIGN.md, from project resolution to a clean exit.

1. resolve the project and config; take the project lock (a second session
   is refused at once, before anything slow happens);
2. initialize on first run; snapshot share-rw; prepare the agent (credentials);
3. make sure the image exists; start the helper hub; build one ContainerSpec
   and run it in the foreground.

Unwinding happens in reverse on every exit path (the container exits, Ctrl-C,
SIGTERM, SIGHUP, an error): stop the container, write credentials back, stop
the hub, release the lock.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kanibako.app import LaunchOptions
from kanibako.launch import layout
from kanibako.launch.glue import optional_module
from kanibako.launch.image_check import LaunchImage
from kanibako.launch.session import AgentPlan, LaunchMode
from kanibako.launch.signals import SessionInterrupted, signals_unwind
from kanibako_paths import (
    KanibakoPaths,
    Project,
    ensure_initialized,
    load_paths,
    merged_env,
    resolve_config,
    resolve_project,
)
from kanibako_runtime import (
    LOCK_FILE_NAME,
    ContainerSpec,
    Engine,
    Mount,
    ProjectLock,
    detect_engine,
    foreground,
)

if TYPE_CHECKING:
    from kanibako.session.egress.launch_hook import EgressSession

Echo = Callable[[str], None]


@dataclass(frozen=True)
class SessionRequest:
    """One launch as the CLI asked for it."""

    project_dir: Path
    launch: LaunchOptions
    mode: LaunchMode
    verbose: bool = False


def run_session(request: SessionRequest, echo: Echo) -> int:
    """Run one session to its end; the exit status is the container's (128+N on signal N).

    ``echo`` prints one diagnostic line to stderr (used for ``-v`` and hints).
    """
    paths = load_paths()
    project = resolve_project(paths, request.project_dir)
    config = resolve_config(paths, project, cli={"container_image": request.launch.image})
    command = _split_command(request.launch.command)
    engine = detect_engine(config.container_engine or None)
    name = layout.container_name(project)
    lock = ProjectLock(project.metadata_dir / LOCK_FILE_NAME, label=str(project.workspace))
    debug = echo if request.verbose else _quiet
    with signals_unwind():
        try:
            lock.acquire(container=name)
            try:
                return _locked_session(
                    request,
                    paths=paths,
                    project=project,
                    engine=engine,
                    image=config.container_image,
                    command=command,
                    debug=debug,
                    echo=echo,
                )
            finally:
                lock.release()
        except SessionInterrupted as interrupted:
            echo(f"session ended: {interrupted}")
            return interrupted.exit_code


def _quiet(message: str) -> None:
    """A no-op echo for diagnostics nobody asked for."""


def _split_command(command: str | None) -> list[str] | None:
    if command is None:
        return None
    from kanibako.launch.command import command_argv

    return command_argv(command)


def _locked_session(
    request: SessionRequest,
    *,
    paths: KanibakoPaths,
    project: Project,
    engine: Engine,
    image: str,
    command: list[str] | None,
    debug: Echo,
    echo: Echo,
) -> int:
    first_run = not project.initialized
    project = ensure_initialized(paths, project)
    _snapshot(paths, project)
    agent = _prepare_agent(paths, project, request, first_run)
    debug(
        f"engine: {engine.kind}{' (rootless)' if engine.rootless else ''}; target: {agent.target_name}"
    )
    finished = False

    def finish_once() -> None:
        nonlocal finished
        if not finished:
            finished = True
            agent.finish()

    with ExitStack() as stack:
        stack.callback(finish_once)  # also when the hub fails to start
        launch_image = LaunchImage(engine, image, verbose=request.verbose, echo=echo)
        launch_image.ensure()
        egress = _start_egress(stack, paths, project, echo)
        hub_mounts, hub_env = _start_hub(
            stack,
            egress=egress,
            paths=paths,
            project=project,
            engine=engine,
            image=image,
            agent=agent,
            request=request,
        )
        stack.callback(finish_once)  # normally: after the container, before the hub
        spec = build_spec(
            paths, project, image, agent, command, extra_mounts=hub_mounts, extra_env=hub_env
        )
        spec = egress.director().apply(spec)
        status = _run_container(engine, spec, debug)
        if launch_image.recover(status) or _removed_stale(engine, spec, status, echo):
            status = _run_container(engine, spec, debug)
    return status


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


def _run_container(engine: Engine, spec: ContainerSpec, debug: Echo) -> int:
    with foreground(engine, spec, announce=lambda argv: _announce(argv, spec, debug)) as container:
        status = container.wait()
    if status in (125, 126, 127):
        debug(f"the engine ended with status {status} (125: engine error, 126/127: command)")
    return status


def build_spec(
    paths: KanibakoPaths,
    project: Project,
    image: str,
    agent: AgentPlan,
    command: list[str] | None,
    *,
    extra_mounts: list[Mount] | None = None,
    extra_env: dict[str, str] | None = None,
) -> ContainerSpec:
    """The one ContainerSpec of a session (pure but for the optional mounts' existence)."""
    mounts, tmpfs = layout.project_mounts(project, paths)
    mounts += layout.shared_cache_mounts(paths, agent.target_name)
    mounts += agent.mounts
    mounts += extra_mounts or []
    # Agent config first, the user's env files over it, Kanibako's own last.
    env = {
        **agent.env,
        **merged_env(paths, project),
        **(extra_env or {}),
        **layout.base_env(project),
    }
    argv = command or agent.argv
    return ContainerSpec(
        image=image,
        name=layout.container_name(project),
        hostname=layout.container_name(project)[:63],
        mounts=tuple(mounts),
        tmpfs=tuple(tmpfs),
        env=env,
        workdir=layout.WORKSPACE,
        entrypoint=argv[0],
        command=tuple(argv[1:]),
        labels=layout.session_labels(project),
        interactive=True,
        tty=True,
        init=True,
        # The image was made present (or seen) before: the engine must not try
        # a pull of its own; a vanished image fails fast and is supplied again.
        pull="never",
    )


def _announce(argv: list[str], spec: ContainerSpec, debug: Echo) -> None:
    debug("$ " + shlex.join(argv))
    if spec.env:
        debug("env (values hidden): " + " ".join(sorted(spec.env)))


def _snapshot(paths: KanibakoPaths, project: Project) -> None:
    if project.vault_enabled and _is_empty_dir(project.vault_rw):
        # Nothing to save; skipping also keeps the snapshot engine's import
        # off the launch path of projects that do not use share-rw.
        return
    vault = optional_module("project_vault")
    if vault is not None:
        vault.snapshot_before_launch(paths, project)


def _is_empty_dir(path: Path) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except (FileNotFoundError, NotADirectoryError):
        return False


def _prepare_agent(
    paths: KanibakoPaths, project: Project, request: SessionRequest, first_run: bool
) -> AgentPlan:
    agent_session = optional_module("agent_session")
    mode: LaunchMode = "shell" if request.launch.command else request.mode
    if agent_session is None:
        return AgentPlan()
    prepared: Any = agent_session.prepare_agent(
        paths, project, request.launch, mode, first_run=first_run, verbose=request.verbose
    )
    return AgentPlan(
        mounts=list(prepared.mounts),
        env=dict(prepared.env),
        argv=list(prepared.argv) or AgentPlan().argv,
        target_name=str(prepared.target_name),
        finish=prepared.finish,
    )


def _start_egress(
    stack: ExitStack, paths: KanibakoPaths, project: Project, echo: Echo
) -> EgressSession:
    """The egress hook: ``network`` mode, the proxy in allowlist mode, closed at teardown."""
    from kanibako.session.egress.launch_hook import start_egress

    egress = start_egress(paths, project, echo)
    stack.callback(egress.close)
    return egress


def _start_hub(
    stack: ExitStack,
    *,
    egress: EgressSession,
    paths: KanibakoPaths,
    project: Project,
    engine: Engine,
    image: str,
    agent: AgentPlan,
    request: SessionRequest,
) -> tuple[list[Mount], dict[str, str]]:
    if request.launch.no_helpers:
        return [], {}
    helper_session = optional_module("helper_session")
    if helper_session is None:
        return [], {}
    from kanibako.launch.spawner import HelperSpawner

    env = {**agent.env, **merged_env(paths, project), **layout.base_env(project)}
    spawner = HelperSpawner(engine, project, image, agent.argv, agent.mounts, env, egress=egress)
    stack.callback(spawner.stop_all)
    handle = stack.enter_context(helper_session.hub_session(paths, project, spawner))
    return list(handle.mounts), dict(handle.env)


def echo_stderr(message: str) -> None:
    """Print a diagnostic line the way every kanibako message looks."""
    print(f"kanibako: {message}", file=sys.stderr, flush=True)
