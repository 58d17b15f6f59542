"""Issue 12's launch-side rules, as one object the launch path calls in three places.

```
rules = session_rules(paths, project, engine)   # before anything starts: config checked
stack.callback(rules.teardown, echo)            # registered before the hub: runs last
spec = rules.apply(spec)                        # the session's ContainerSpec
spawner(harden=rules.helper_spec, ...)          # each helper's ContainerSpec
```

Order matters in ``apply``: the hiding of Kanibako's state comes first (what
it covers needs no control-file bind), then control files, shared layers,
privileges, limits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from kanibako.session.contribution import Contribution, Echo, apply, run_teardowns
from kanibako.session.kanibako_state import hide_kanibako_state
from kanibako.session.limits import helper_limit_options, session_limits
from kanibako.session.privileges import least_privilege, privileges
from kanibako.session.protect_control_files import protect_control_files
from kanibako.session.shared_layers import LAYERS_DIR, shared_layers
from kanibako_paths import KanibakoPaths, Project
from kanibako_paths.session_config import (
    ProtectSettings,
    ResourceLimits,
    protect_settings,
    resource_limits,
)
from kanibako_runtime import ContainerSpec, Engine

WORKSPACE = "/home/agent/workspace"


class HelperLimitError(RuntimeError):
    """The fleet is full: ``[limits] helpers`` helpers are running already."""


def writable_roots(spec: ContainerSpec) -> list[Path]:
    """Every host directory the container can write: read-write binds and overlay uppers."""
    roots = [m.source for m in spec.mounts if not m.read_only and m.source.is_dir()]
    roots += [o.upper for o in spec.overlays]
    return roots


@dataclass
class SessionRules:
    """The rules of one session; ``apply`` once, ``teardown`` once when it ends."""

    paths: KanibakoPaths
    project: Project
    engine: Engine
    protect: ProtectSettings
    limits: ResourceLimits
    applied: list[Contribution] = field(default_factory=list)

    def apply(self, spec: ContainerSpec, workspace: str = WORKSPACE) -> ContainerSpec:
        """The session's spec with every rule's contribution (see the module text)."""
        layered = [
            hide_kanibako_state(self.paths, self.project, workspace),
            protect_control_files(self.project.workspace, workspace, self.protect),
            shared_layers(
                spec.mounts,
                self.paths.shared_dir,
                self.project.metadata_dir / LAYERS_DIR / "session",
                self.engine,
            ),
            session_limits(self.engine, self.limits),
        ]
        spec = apply(spec, layered)
        # Every layer, the helpers' too: they are written by containers of this session.
        roots = [*writable_roots(spec), self.project.metadata_dir / LAYERS_DIR]
        sweep = privileges(roots, privileged=self.protect.privileged)
        self.applied += [*layered, sweep]
        return apply(spec, [sweep])

    def helper_spec(self, spec: ContainerSpec, running: int) -> ContainerSpec:
        """A helper's spec: shared layers of its own, least privilege, the helper limits."""
        if self.limits.helpers is not None and running >= self.limits.helpers:
            raise HelperLimitError(
                f"{running} helpers are running, the most [limits] helpers allows "
                f"({self.limits.helpers}): stop one first"
            )
        slug = (spec.name or "helper").replace(os.sep, "_")
        layers = shared_layers(
            spec.mounts,
            self.paths.shared_dir,
            self.project.metadata_dir / LAYERS_DIR / "helpers" / slug,
            self.engine,
        )
        spec = apply(spec, [layers])
        return replace(
            spec,
            **least_privilege(self.protect.privileged),
            **helper_limit_options(self.engine, self.limits),
        )

    def teardown(self, echo: Echo) -> None:
        """Every rule's step at the session's end (sweeps that name what they found)."""
        applied, self.applied = self.applied, []
        run_teardowns(applied, echo)


def session_rules(paths: KanibakoPaths, project: Project, engine: Engine) -> SessionRules:
    """Read and check ``[protect]`` and ``[limits]`` (a bad value: ConfigError, exit 2)."""
    return SessionRules(
        paths, project, engine, protect_settings(project), resource_limits(paths, project)
    )
