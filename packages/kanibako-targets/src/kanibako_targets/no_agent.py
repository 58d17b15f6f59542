"""The ``no_agent`` target: a plain shell, no binary, no credentials.

Kanibako falls back to it when no agent is detected on the host.
"""

from __future__ import annotations

from pathlib import Path

from kanibako_runtime import Mount
from kanibako_targets.target import Target
from kanibako_targets.values import AgentInstall, ArgsRequest

NO_AGENT = "no_agent"


class NoAgentTarget(Target):
    """No agent at all: ``start`` and ``resume`` open bash."""

    name = NO_AGENT
    display_name = "No agent (plain shell)"
    command = "bash"

    def detect(self) -> AgentInstall | None:
        """Always "found": bash comes from the image, nothing is mounted."""
        return AgentInstall(command="bash", binary=Path("/bin/bash"), found_via="image")

    def binary_mounts(self, install: AgentInstall) -> list[Mount]:
        """Nothing to mount: the image's own shell is used."""
        return []

    def build_args(self, request: ArgsRequest) -> list[str]:
        """A plain interactive shell takes no arguments."""
        return []
