"""Aider: detection on PATH, its virtualenv mounted, arguments from settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kanibako_targets import (
    AgentInstall,
    ArgsRequest,
    Mount,
    ResourceMapping,
    ResourceScope,
    SettingDescriptor,
    StateTranslation,
    Target,
)


def interpreter_tree(script: Path) -> Path | None:
    """The virtualenv a Python script runs from (``#!/.../venv/bin/python``), if any."""
    try:
        with script.open("rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    interpreter = Path(first[2:].decode(errors="replace").split()[0])
    venv = interpreter.parent.parent
    return venv if (venv / "pyvenv.cfg").is_file() else None


class AiderTarget(Target):
    """Aider, the AI pair programmer in the terminal."""

    name = "aider"
    display_name = "Aider"
    command = "aider"

    def detect(self) -> AgentInstall | None:
        """``aider`` on the host's PATH, with its links followed."""
        found = self.which(self.command)
        if found is None:
            return None
        return AgentInstall(command=self.command, binary=found.resolve(), found_via="PATH")

    def binary_mounts(self, install: AgentInstall) -> list[Mount]:
        """The script itself, plus the virtualenv its shebang names (same path, read-only)."""
        mounts = super().binary_mounts(install)
        venv = interpreter_tree(install.binary)
        if venv is not None:
            mounts.append(Mount(source=venv, target=str(venv), read_only=True))
        return mounts

    def build_args(self, request: ArgsRequest) -> list[str]:
        """Aider has no conversation picker: start and resume both restore the history."""
        if request.new or request.first_run:
            return []
        return ["--restore-chat-history"]

    def setting_descriptors(self) -> list[SettingDescriptor]:
        """``model`` (empty: Aider's default) and ``auto_commits`` (on or off)."""
        return [
            SettingDescriptor("model", "Model passed to --model (empty: Aider's default)", ""),
            SettingDescriptor(
                "auto_commits", "Commit each change Aider makes", "on", ("on", "off")
            ),
        ]

    def translate_state(self, state: Mapping[str, str], request: ArgsRequest) -> StateTranslation:
        """``--yes-always`` unless -S; ``--model``; ``--no-auto-commits`` when off."""
        args = [] if request.safe else ["--yes-always"]
        if state.get("model"):
            args += ["--model", state["model"]]
        if state.get("auto_commits") == "off":
            args.append("--no-auto-commits")
        return StateTranslation(args=tuple(args))

    def resource_mappings(self) -> list[ResourceMapping]:
        """The user's Aider config is seeded into each new project."""
        return [ResourceMapping(".aider.conf.yml", ResourceScope.SEEDED, "Aider configuration")]
