"""What the doctor learns about the host once, for every check to read.

The engine is found the way a launch finds it, then asked for its ``info``
(one call, bounded by a timeout: a hung daemon is a failed check, not a hung
doctor). Kanibako's own configuration is loaded the same way; a malformed file
becomes a failed check rather than stopping the run.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kanibako_paths import KanibakoPaths
    from kanibako_runtime import Engine

ENGINE_TIMEOUT = 30.0


@dataclass
class HostFacts:
    """The host as the checks see it (gathered by :func:`gather`)."""

    env: Mapping[str, str]
    euid: int
    engine: Engine | None = None
    engine_error: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    info_error: str = ""
    paths: KanibakoPaths | None = None
    image: str = ""
    target_name: str = ""
    engine_choice: str = ""
    config_error: str = ""
    probe_problem: str = ""
    """The doctor check a failed test container points at (set by 'container runs')."""

    @property
    def podman(self) -> bool:
        return self.engine is not None and self.engine.kind == "podman"

    @property
    def rootless(self) -> bool:
        """A rootless engine: Podman run by a non-root user, or a rootless Docker daemon."""
        return self.engine is not None and self.engine.rootless

    @property
    def reachable(self) -> bool:
        """The engine answered ``info``."""
        return self.engine is not None and not self.info_error


def engine_command(
    engine: Engine, args: list[str], timeout: float = ENGINE_TIMEOUT
) -> tuple[int, str, str]:
    """``<engine> ARGS``: exit status, stdout, stderr (a timeout or vanished binary is status 1)."""
    try:
        done = subprocess.run(
            [*engine.base_argv(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return 1, "", f"'{engine.kind} {args[0]}' gave no answer within {timeout:.0f}s"
    except OSError as exc:
        return 1, "", f"cannot run {engine.binary}: {exc.strerror or exc}"
    return done.returncode, done.stdout, done.stderr


def last_error_line(stderr: str, status: int) -> str:
    """The engine's own last line of complaint, or its exit status when it said nothing."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {status}"


def _engine_info(facts: HostFacts, engine: Engine) -> None:
    args = ["info", "--format", "json" if facts.podman else "{{json .}}"]
    status, out, err = engine_command(engine, args)
    if status != 0:
        facts.info_error = last_error_line(err, status)
        return
    try:
        parsed = json.loads(out)
    except ValueError:
        facts.info_error = f"'{engine.kind} info' printed no JSON"
        return
    facts.info = parsed if isinstance(parsed, dict) else {}


def _kanibako_config(facts: HostFacts) -> None:
    from kanibako_paths import load_paths, resolve_config

    try:
        facts.paths = load_paths()
        config = resolve_config(facts.paths, None, {})
    except Exception as exc:  # any kanibako_paths error: one line in the report
        if not type(exc).__module__.startswith("kanibako"):
            raise
        facts.config_error = str(exc)
        return
    facts.image = config.container_image
    facts.target_name = config.target_name
    facts.engine_choice = config.container_engine


def gather(env: Mapping[str, str] | None = None) -> HostFacts:
    """Find the engine, ask it for its info, and load Kanibako's configuration."""
    from kanibako_runtime import EngineNotFoundError, detect_engine

    facts = HostFacts(env=os.environ if env is None else env, euid=os.geteuid())
    _kanibako_config(facts)
    try:
        facts.engine = detect_engine(facts.engine_choice or None, env=facts.env)
    except EngineNotFoundError as exc:
        facts.engine_error = str(exc)
        return facts
    _engine_info(facts, facts.engine)
    return facts
