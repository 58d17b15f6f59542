"""Resource limits: memory, CPUs and pids for the session and for each helper.

Rootless Podman on a cgroup v1 host cannot enforce limits (it ignores them
with a warning on every run), so there the flags are left out and
``kanibako status`` says the limits are not enforced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kanibako.session.contribution import Contribution
from kanibako_paths.session_config import ContainerLimits, ResourceLimits
from kanibako_runtime import Engine

_CGROUP_V2_MARKER = Path("/sys/fs/cgroup/cgroup.controllers")


def limits_enforced(engine: Engine) -> bool:
    """False where the engine would ignore limits (rootless Podman without cgroup v2)."""
    if engine.kind == "podman" and engine.rootless and not engine.remote:
        return _CGROUP_V2_MARKER.exists()
    return True


def limit_options(limits: ContainerLimits) -> dict[str, Any]:
    """The ContainerSpec fields of one container's limits."""
    return {"memory": limits.memory, "cpus": limits.cpus, "pids_limit": limits.pids}


def session_limits(engine: Engine, limits: ResourceLimits) -> Contribution:
    """The session container's limits (nothing where the engine cannot enforce them)."""
    if not limits_enforced(engine):
        return Contribution()
    return Contribution(options=limit_options(limits.session))


def helper_limit_options(engine: Engine, limits: ResourceLimits) -> dict[str, Any]:
    """The ContainerSpec fields every helper container gets."""
    return limit_options(limits.helper) if limits_enforced(engine) else {}
