"""Codex CLI: a native binary found behind its npm launcher, and its OAuth credentials."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from kanibako_targets import (
    AgentInstall,
    ArgsRequest,
    AuthStatus,
    CredentialFile,
    FileRefusedError,
    ResourceMapping,
    ResourceScope,
    SettingDescriptor,
    StateTranslation,
    Target,
    read_host_file,
)

AUTH = ".codex/auth.json"
APPROVALS = ("bypass", "on-request", "untrusted", "never")


def last_refresh(data: bytes) -> float | None:
    """The ``last_refresh`` time of an ``auth.json`` (seconds since the epoch), if any."""
    try:
        document = json.loads(data)
        stamp = document["last_refresh"]
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def native_binary(launcher: Path) -> Path:
    """The native ``codex`` the npm package's ``bin/codex.js`` would start, if present."""
    if launcher.suffix != ".js":
        return launcher
    package = launcher.parent.parent
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine()
    )
    for candidate in sorted(package.glob(f"vendor/{arch}-unknown-linux-*/codex/codex")):
        if candidate.is_file():
            return candidate
    return launcher


class CodexTarget(Target):
    """OpenAI's Codex CLI."""

    name = "codex"
    display_name = "Codex CLI"
    command = "codex"
    resource_root = ".codex"

    def detect(self) -> AgentInstall | None:
        """``codex`` on PATH; an npm launcher is replaced by the native binary it runs."""
        found = self.which(self.command)
        if found is None:
            return None
        resolved = found.resolve()
        binary = native_binary(resolved)
        via = "npm (native binary)" if binary != resolved else "PATH"
        return AgentInstall(command=self.command, binary=binary, found_via=via)

    # -- credentials -------------------------------------------------------

    def credential_files(self) -> list[CredentialFile]:
        """``~/.codex/auth.json``; fresher = later ``last_refresh``.

        Without a ``same_account`` check (which would ask OpenAI whose account a
        token is), Kanibako forwards it one way only: a token rotated inside the
        box stays in the box, and the host's is never replaced by the box's.
        """
        return [CredentialFile(self.host.home / AUTH, AUTH, freshness=last_refresh)]

    def check_auth(self) -> AuthStatus:
        """Logged in with ChatGPT (tokens) or with an API key stored by ``codex login``."""
        path = self.host.home / AUTH
        try:
            data = read_host_file(path)
        except FileRefusedError as exc:
            return AuthStatus(ok=False, detail=str(exc))
        if data is None:
            return AuthStatus(ok=False, detail=f"no credentials at {path}")
        try:
            document = json.loads(data)
        except ValueError:
            return AuthStatus(ok=False, detail=f"{path} is not JSON")
        if isinstance(document, dict) and (
            document.get("tokens") or document.get("OPENAI_API_KEY")
        ):
            return AuthStatus(ok=True, detail="logged in")
        return AuthStatus(ok=False, detail=f"{path} holds neither tokens nor an API key")

    def login_args(self) -> list[str]:
        """``codex login``."""
        return ["login"]

    # -- arguments and settings --------------------------------------------

    def build_args(self, request: ArgsRequest) -> list[str]:
        """``resume`` (picker) or ``resume --last`` (continue); nothing for a new session."""
        if request.mode == "resume":
            return ["resume"]
        if request.new or request.first_run:
            return []
        return ["resume", "--last"]

    def setting_descriptors(self) -> list[SettingDescriptor]:
        """``model`` and ``approval`` (bypass: the container is the sandbox)."""
        return [
            SettingDescriptor("model", "Model passed to --model (empty: Codex's default)", ""),
            SettingDescriptor(
                "approval",
                "When Codex asks before acting (bypass: never, unless -S)",
                "bypass",
                APPROVALS,
            ),
        ]

    def translate_state(self, state: Mapping[str, str], request: ArgsRequest) -> StateTranslation:
        """Approval policy (``-S`` turns bypass into on-request) and ``--model``."""
        approval = state.get("approval", "bypass")
        if approval == "bypass" and not request.safe:
            args = ["--dangerously-bypass-approvals-and-sandbox"]
        else:
            args = ["--ask-for-approval", "on-request" if approval == "bypass" else approval]
        if state.get("model"):
            args += ["--model", state["model"]]
        return StateTranslation(args=tuple(args))

    def resource_mappings(self) -> list[ResourceMapping]:
        """Config seeded, custom prompts shared, session logs per project."""
        return [
            ResourceMapping("config.toml", ResourceScope.SEEDED, "Codex configuration"),
            ResourceMapping("prompts/", ResourceScope.SHARED, "custom prompts"),
            ResourceMapping("sessions/", ResourceScope.PROJECT, "session history"),
        ]
