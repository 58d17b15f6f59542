"""The agent side of a launch: target, binary mounts, credentials, arguments.

The session (:mod:`kanibako.session.prepare`) loads the :class:`AgentContext`
with the config it resolved, initializes the project, then calls
:func:`launch_agent`; it calls ``AgentLaunch.finish()`` after the container
exits (also on Ctrl-C and errors) to write fresher credentials back.
:func:`prepare_agent` does all three for callers outside a session.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from kanibako.app import LaunchOptions
from kanibako.errors import CliError
from kanibako_paths import (
    KanibakoPaths,
    Project,
    ResolvedConfig,
    ensure_initialized,
    read_toml,
    resolve_config,
)
from kanibako_runtime import Mount

if TYPE_CHECKING:
    from pathlib import Path

    from kanibako.app import App
    from kanibako_targets import AgentConfig, AgentInstall, ArgsRequest, Target
    from kanibako_targets.internal import EffectiveResource, EffectiveSetting

CONTAINER_HOME = "/home/agent"
SETTINGS_TABLE = "target_settings"
RESOURCES_TABLE = "target_resources"
Mode = Literal["start", "shell", "resume"]


@dataclass
class AgentLaunch:
    """What the session adds to the container for the agent (the one agent-launch value).

    ``argv`` is empty when the session is a plain shell (``shell`` mode, or
    no agent): the session then runs its own image-independent shell.
    ``helper_command`` builds the helpers' agent command (None: no agent runs,
    helpers get the session's own command).
    """

    mounts: list[Mount] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    target_name: str = "no_agent"
    # The hosts the target says its agent needs (the egress allowlist's first part).
    network_hosts: tuple[str, ...] = ()
    helper_command: HelperCommand | None = None
    finish_hook: Callable[[], None] = field(default=lambda: None, repr=False)
    first_run_marker: Path | None = None
    running_marker: Path | None = None
    _finished: bool = field(default=False, repr=False)

    def session_started(self) -> None:
        """Record that the agent runs now: ``finish`` removes the record, a crash leaves it.

        A session that died instead of ending (its kanibako killed, the machine
        rebooted) never reaches ``finish``: the record left behind tells the
        next launch that the agent had a conversation to continue.
        """
        if self.running_marker is not None:
            self.running_marker.touch()

    def session_ended(self, status: int) -> None:
        """Record the agent's first successful session (``kanibako start`` ending with 0).

        Only then has the agent a conversation to ``--continue``: a shell, a
        ``-c`` command, a resume (its picker may have had nothing to resume)
        or a launch that failed leave the next start a first run.
        """
        if status == 0 and self.first_run_marker is not None:
            self.first_run_marker.touch()
            self.first_run_marker = None

    def finish(self) -> None:
        """Write fresher credentials back to the host (once; later calls do nothing)."""
        if not self._finished:
            self._finished = True
            if self.running_marker is not None:
                self.running_marker.unlink(missing_ok=True)  # the session ended, it did not die
            self.finish_hook()


@dataclass(frozen=True)
class HelperCommand:
    """How a session's agent command line was built, to build its helpers' from.

    A helper is a new agent in its own home: it starts a new conversation
    (never the director's ``--continue``/``--resume``; after a crash, a
    respawn continues the helper's own, ``resume``) with the director's
    other choices (``-S``, default args, settings), and with the model the
    spawn asked for in place of the director's effective one. The target maps
    the model through its ``model`` setting (Claude: ``--model``).
    """

    target: Target
    install: AgentInstall
    request: ArgsRequest
    default_args: tuple[str, ...]

    def argv(self, model: str | None, *, resume: bool = False) -> list[str]:
        """The helper's agent command; ``model`` None keeps the director's model.

        ``resume``: continue the conversation the helper's home holds (as a
        director's start after its first does), for a helper whose session died.
        """
        state = dict(self.request.state)
        if model:
            state["model"] = model
        request = replace(self.request, mode="start", new=not resume, first_run=False, state=state)
        return list(self.target.command_line(self.install, request, self.default_args).argv)


@dataclass(frozen=True)
class AgentContext:
    """A project's target with its install, agent config and project overrides."""

    target: Target
    install: AgentInstall | None
    config: AgentConfig
    project_table: dict[str, Any]

    def settings_overrides(self, project: Project) -> dict[str, str]:
        """``[target_settings]`` of project.toml."""
        return _string_table(self.project_table, SETTINGS_TABLE, project)

    def resource_overrides(self, project: Project) -> dict[str, str]:
        """``[target_resources]`` of project.toml."""
        return _string_table(self.project_table, RESOURCES_TABLE, project)

    def settings(self, paths: KanibakoPaths, project: Project) -> list[EffectiveSetting]:
        """Each declared setting: project override > agent ``[state]`` > default."""
        from kanibako_targets.internal import effective_settings

        return effective_settings(
            self.target.setting_descriptors(),
            self.settings_overrides(project),
            self.config.state,
            **self._sources(paths, project),
        )

    def state(self, paths: KanibakoPaths, project: Project) -> dict[str, str]:
        """The effective state handed to the target (undeclared ``[state]`` keys too)."""
        from kanibako_targets.internal import effective_state

        return effective_state(
            self.target.setting_descriptors(),
            self.settings_overrides(project),
            self.config.state,
            **self._sources(paths, project),
        )

    def resources(self, project: Project) -> list[EffectiveResource]:
        """Each resource with its scope after this project's overrides."""
        from kanibako_targets.internal import effective_resources

        return effective_resources(
            self.target.resource_mappings(),
            self.resource_overrides(project),
            overrides_from=f"{project.project_config_file}: [{RESOURCES_TABLE}]",
        )

    def _sources(self, paths: KanibakoPaths, project: Project) -> dict[str, str]:
        from kanibako_targets.internal import agent_config_path

        agent_file = agent_config_path(paths.agents_dir, self.target.name)
        return {
            "overrides_from": f"{project.project_config_file}: [{SETTINGS_TABLE}]",
            "state_from": f"{agent_file}: [state]",
        }


def _string_table(table: dict[str, Any], name: str, project: Project) -> dict[str, str]:
    from kanibako_targets.internal import SettingError

    section = table.get(name, {})
    if not isinstance(section, dict):
        raise SettingError(f"{project.project_config_file}: [{name}] must be a table")
    for key, value in section.items():
        if not isinstance(value, str):
            raise SettingError(f"{project.project_config_file}: [{name}] {key} must be a string")
    return dict(section)


def load_agent_context(
    paths: KanibakoPaths, project: Project, settings: ResolvedConfig | None = None
) -> AgentContext:
    """Resolve the project's target (``target_name`` or auto-detect) and its config.

    ``settings``: the project's config when the caller has resolved it already.
    """
    from kanibako_targets.internal import UnknownTargetError, ensure_agent_config, resolve_target

    if settings is None:
        settings = resolve_config(paths, project)
    name = settings.target_name
    try:
        resolved = resolve_target(name or None)
    except UnknownTargetError as exc:
        # Say where the bad name lives, or the user cannot tell what to fix.
        where = {"project": project.project_config_file, "global": paths.config_file}.get(
            settings.sources["target_name"], "configuration"
        )
        raise CliError(
            f"{exc}; target_name is set in {where} (`kanibako config target_name ''` "
            f"to auto-detect)"
        ) from None
    config = ensure_agent_config(paths.agents_dir, resolved.target)
    return AgentContext(
        resolved.target, resolved.install, config, read_toml(project.project_config_file)
    )


def current_agent(
    app: App, override: Path | None = None
) -> tuple[KanibakoPaths, Project, AgentContext]:
    """For commands: the project (nothing written) and its agent context."""
    from kanibako.project_context import current_project

    paths, project = current_project(app, override)
    return paths, project, load_agent_context(paths, project)


def share_auth(project: Project, launch: LaunchOptions) -> bool:
    """True unless the project (``auth = distinct``) or the flag asks for distinct credentials."""
    return project.auth != "distinct" and not launch.distinct_auth


def _debug(verbose: bool, message: str) -> None:
    if verbose:
        print(f"kanibako: {message}", file=sys.stderr, flush=True)


def _agent_mounts(
    paths: KanibakoPaths, project: Project, context: AgentContext, *, first_run: bool
) -> list[Mount]:
    from kanibako_targets.internal import agent_shared_mounts, apply_resources

    target = context.target
    shared_dir = paths.agent_shared_dir(target.name)
    resources = context.resources(project)
    mounts = target.binary_mounts(context.install) if context.install else []
    mounts += apply_resources(
        resources,
        home=project.shell_dir,
        resource_root=target.resource_root,
        shared_dir=shared_dir,
        container_home=CONTAINER_HOME,
        first_run=first_run,
    )
    mounts += agent_shared_mounts(
        context.config.shared, shared_dir=shared_dir, container_home=CONTAINER_HOME
    )
    # One mount per container path: the first (binary, then resources) wins.
    unique: dict[str, Mount] = {}
    for mount in mounts:
        unique.setdefault(mount.target, mount)
    return list(unique.values())


def prepare_agent(
    paths: KanibakoPaths,
    project: Project,
    launch: LaunchOptions,
    mode: Mode,
    *,
    first_run: bool,
    verbose: bool,
) -> AgentLaunch:
    """Everything the agent needs in the container: context, project initialized, agent launch."""
    context = load_agent_context(paths, project)
    require_install(context, mode)
    project = initialize_for(paths, project, context)
    return launch_agent(paths, project, context, launch, mode, first_run=first_run, verbose=verbose)


def require_install(context: AgentContext, mode: Mode) -> None:
    """CliError when the selected agent is missing and the session would run it."""
    if context.install is None and mode != "shell":
        target = context.target
        raise CliError(
            f"target {target.name!r} is selected but {target.display_name} was not found on "
            f"this host (install it, or `kanibako config target_name ''` to auto-detect)"
        )


def initialize_for(paths: KanibakoPaths, project: Project, context: AgentContext) -> Project:
    """The project initialized (or brought up to date) with the agent's templates."""
    # Templates wait for the agent's variant; applying them is idempotent.
    return ensure_initialized(
        paths, project, agent_id=context.target.name, template_variant=context.config.shell
    )


def launch_agent(
    paths: KanibakoPaths,
    project: Project,
    context: AgentContext,
    launch: LaunchOptions,
    mode: Mode,
    *,
    first_run: bool,
    verbose: bool,
) -> AgentLaunch:
    """The agent's mounts, env and command, with credentials refreshed (``project`` initialized)."""
    from kanibako_targets import ArgsRequest
    from kanibako_targets.internal import NO_AGENT, agent_config_path

    target, install = context.target, context.install
    how = f"{install.found_via}: {install.binary}" if install else "not installed"
    _debug(verbose, f"target {target.name} ({how})")
    home = project.shell_dir
    sharing = share_auth(project, launch)
    # The project may have been initialized by a state command (`box settings
    # set`, `env set`, ...) or opened in a shell before the agent first ran:
    # the agent's own first successful session is recorded separately, per
    # target, outside the container's reach (see AgentLaunch.session_ended).
    marker = first_run_marker(project, target.name)
    running = running_marker(project, target.name)
    recorded = marker.exists()
    # An agent whose last session died while it ran (the running record is
    # left) had a conversation: it continues, as after a session that ended.
    first_run = first_run or not (recorded or running.exists())
    if sharing:
        for copied in target.refresh_credentials(home):
            _debug(verbose, f"credentials copied into {copied}")
    else:
        _debug(verbose, "distinct credentials: nothing forwarded from the host")
    # Seeded resources first: a copy in the shared dir wins over what
    # init_home would take from the host.
    mounts = _agent_mounts(paths, project, context, first_run=first_run)
    if first_run:
        target.init_home(home, share_auth=sharing)
    state = context.state(paths, project)
    argv: list[str] = []
    env: dict[str, str] = {}
    helper: HelperCommand | None = None
    if install is not None:
        request = ArgsRequest(
            mode="resume" if mode == "resume" else "start",
            new=launch.new,
            safe=launch.safe,
            first_run=first_run,
            state=state,
        )
        line = target.command_line(install, request, context.config.default_args)
        env.update(line.env)
        if mode != "shell" and target.name != NO_AGENT:
            argv = list(line.argv)
            helper = HelperCommand(target, install, request, context.config.default_args)
    env.update(context.config.env)  # the user's [env] has the last word
    _debug(verbose, f"agent config {agent_config_path(paths.agents_dir, target.name)}")

    def write_back() -> None:
        if sharing:
            for written in target.write_back_credentials(home):
                _debug(verbose, f"fresher credentials written back to {written}")

    return AgentLaunch(
        mounts=mounts,
        env=env,
        argv=argv,
        target_name=target.name,
        network_hosts=tuple(target.network_hosts()),
        helper_command=helper,
        finish_hook=write_back,
        first_run_marker=marker if not recorded and argv and mode == "start" else None,
        running_marker=running if argv else None,
    )


def first_run_marker(project: Project, target_name: str) -> Path:
    """The file whose presence says the target's agent has had a successful session here."""
    return project.metadata_dir / f"agent-{target_name}.initialized"


def running_marker(project: Project, target_name: str) -> Path:
    """The file present while the target's agent runs here (and after a session that died)."""
    return project.metadata_dir / f"agent-{target_name}.running"
