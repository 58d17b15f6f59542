"""Steps 1 and 2 of a launch: resolve what was asked for, then prepare the project and agent.

Each value is computed once here and carried forward: the config (read once),
the container name, the initialized project and the user's env files. Later
steps (features, the spec, the run) only read them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kanibako.app import LaunchOptions
from kanibako.session import layout
from kanibako.session.agent import AgentLaunch
from kanibako.session.agent import Mode as LaunchMode
from kanibako_paths import (
    KanibakoPaths,
    Project,
    ResolvedConfig,
    load_paths,
    merged_env,
    resolve_config,
    resolve_project,
)
from kanibako_runtime import Engine, detect_engine

Echo = Callable[[str], None]


@dataclass(frozen=True)
class SessionRequest:
    """One launch as the CLI asked for it."""

    project_dir: Path
    launch: LaunchOptions
    mode: LaunchMode
    verbose: bool = False


@dataclass(frozen=True)
class ResolvedSession:
    """Step 1: the project, its config and engine, and the session's name; nothing written."""

    request: SessionRequest
    paths: KanibakoPaths
    project: Project
    config: ResolvedConfig
    engine: Engine
    name: str
    command: list[str] | None
    keep_warm: int = 0

    @property
    def image(self) -> str:
        return self.config.container_image

    @property
    def mode(self) -> LaunchMode:
        """``-c CMD`` runs the command instead of the agent: a shell session."""
        return "shell" if self.request.launch.command else self.request.mode


@dataclass(frozen=True)
class PreparedSession:
    """Step 2: the initialized project, the agent's launch and the user's env (what features see)."""

    resolved: ResolvedSession
    project: Project
    agent: AgentLaunch
    user_env: Mapping[str, str]

    @property
    def paths(self) -> KanibakoPaths:
        return self.resolved.paths

    @property
    def engine(self) -> Engine:
        return self.resolved.engine

    @property
    def image(self) -> str:
        return self.resolved.image

    @property
    def options(self) -> LaunchOptions:
        return self.resolved.request.launch


def resolve(request: SessionRequest) -> ResolvedSession:
    """Find the project and read its config (once); bad input fails here, before any lock."""
    paths = load_paths()
    project = resolve_project(paths, request.project_dir)
    config = resolve_config(
        paths,
        project,
        cli={
            "container_image": request.launch.image,
            "session_keep_warm": request.launch.keep_warm,
        },
    )
    command = None
    if request.launch.command is not None:
        from kanibako.session.command_line import command_argv

        command = command_argv(request.launch.command)
    from kanibako.session.standby import keep_warm_seconds

    return ResolvedSession(
        request=request,
        paths=paths,
        project=project,
        config=config,
        engine=detect_engine(config.container_engine or None),
        name=layout.container_name(project),
        command=command,
        keep_warm=keep_warm_seconds(config),
    )


def prepare(resolved: ResolvedSession) -> PreparedSession:
    """Initialize the project (once), snapshot share-rw, prepare the agent (under the lock)."""
    from kanibako.session import agent

    paths, request = resolved.paths, resolved.request
    context = agent.load_agent_context(paths, resolved.project, resolved.config)
    agent.require_install(context, resolved.mode)
    first_run = not resolved.project.initialized
    project = agent.initialize_for(paths, resolved.project, context)
    _snapshot(paths, project, resolved.config)
    launched = agent.launch_agent(
        paths,
        project,
        context,
        request.launch,
        resolved.mode,
        first_run=first_run,
        verbose=request.verbose,
    )
    # -e is this run's word: over the agent's [env] and the env files.
    user_env = {**merged_env(paths, project), **dict(request.launch.env)}
    return PreparedSession(resolved, project, launched, user_env)


def _snapshot(paths: KanibakoPaths, project: Project, config: ResolvedConfig) -> None:
    if project.vault_enabled and _is_empty_dir(project.vault_rw):
        # Nothing to save; skipping also keeps the snapshot engine's import
        # off the launch path of projects that do not use share-rw.
        return
    from kanibako.session.vault_snapshot import snapshot_before_launch

    snapshot_before_launch(paths, project, config)


def _is_empty_dir(path: Path) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except (FileNotFoundError, NotADirectoryError):
        return False
