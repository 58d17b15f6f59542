"""The one ``ContainerSpec`` of a session, from the project, the agent and the features."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kanibako.session import layout
from kanibako.session.agent import AgentLaunch
from kanibako.session.features import SpecAdditions, fold
from kanibako_paths import KanibakoPaths, Project, merged_env
from kanibako_runtime import ContainerSpec

# For sessions running no agent, and for images without bash: a plain shell,
# bash when the image has it.
SHELL_ARGV = ["/bin/sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash -l; exec sh -l"]


def session_env(
    agent: AgentLaunch, user_env: Mapping[str, str], project: Project
) -> dict[str, str]:
    """The env every container of the session starts from (the director's and its helpers').

    Agent config first, the user's env files over it, Kanibako's own last.
    """
    return {**agent.env, **user_env, **layout.base_env(project)}


def build_spec(
    paths: KanibakoPaths,
    project: Project,
    image: str,
    agent: AgentLaunch,
    command: list[str] | None,
    *,
    additions: Iterable[SpecAdditions] = (),
    user_env: Mapping[str, str] | None = None,
    name: str | None = None,
) -> ContainerSpec:
    """The director's container (pure but for the optional mounts' existence).

    ``user_env`` and ``name`` are the session's, computed once per launch;
    None computes them here (for callers outside a session).
    """
    if user_env is None:
        user_env = merged_env(paths, project)
    if name is None:
        name = layout.container_name(project)
    features = fold(additions)
    mounts, tmpfs = layout.project_mounts(project, paths)
    mounts += layout.shared_cache_mounts(paths, agent.target_name)
    mounts += agent.mounts
    mounts += features.mounts
    # The features' env sits between the user's and Kanibako's own.
    env = {**agent.env, **user_env, **features.env, **layout.base_env(project)}
    argv = command or agent.argv or SHELL_ARGV
    return ContainerSpec(
        image=image,
        name=name,
        hostname=name[:63],
        mounts=tuple(mounts),
        tmpfs=(*tmpfs, *features.tmpfs),
        env=env,
        workdir=layout.WORKSPACE,
        entrypoint=argv[0],
        command=tuple(argv[1:]),
        labels=layout.session_labels(project),
        network=features.network,
        interactive=True,
        tty=True,
        init=True,
        # The image was made present (or seen) before: the engine must not try
        # a pull of its own; a vanished image fails fast and is supplied again.
        pull="never",
    )
