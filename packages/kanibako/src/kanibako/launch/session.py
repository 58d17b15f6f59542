"""What one launch needs, gathered before anything is started."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from kanibako_runtime import Mount

LaunchMode = Literal["start", "shell", "resume"]

# Used when no agent module is installed, and for images without bash: a
# plain shell, bash when the image has it.
SHELL_ARGV = ["/bin/sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash -l; exec sh -l"]


@dataclass
class AgentPlan:
    """The agent side of a session (what ``agent_session.prepare_agent`` returns)."""

    mounts: list[Mount] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    argv: list[str] = field(default_factory=lambda: list(SHELL_ARGV))
    target_name: str = "no_agent"
    finish: Callable[[], None] = lambda: None
