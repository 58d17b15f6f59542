"""Goose: env-driven settings, a seeded config, and secrets forwarded one way."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kanibako_targets import (
    AgentConfig,
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
    read_beneath,
    read_host_file,
    write_beneath,
)

CONFIG = ".config/goose/config.yaml"
SECRETS = ".config/goose/secrets.yaml"
PROVIDERS = ("", "anthropic", "openai", "google", "ollama", "openrouter")
MODES = ("auto", "smart_approve", "approve", "chat")
# A provider key in the host environment is as good as a secrets file.
PROVIDER_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY")


def unknown_freshness(data: bytes) -> float | None:
    """Secrets carry no expiry: freshness cannot be told, so they never flow back."""
    return None


class GooseTarget(Target):
    """Block's Goose agent."""

    name = "goose"
    display_name = "Goose"
    command = "goose"

    def detect(self) -> AgentInstall | None:
        """``goose`` on PATH, else where Goose's installer puts it (``~/.local/bin``)."""
        found = self.which(self.command)
        if found is not None:
            return AgentInstall(self.command, found.resolve(), found_via="PATH")
        installed = self.host.home / ".local/bin" / self.command
        if installed.is_file() and os.access(installed, os.X_OK):
            return AgentInstall(self.command, installed.resolve(), found_via="goose installer")
        return None

    # -- home and credentials ----------------------------------------------

    def credential_files(self) -> list[CredentialFile]:
        """``secrets.yaml`` (written by Goose when the keyring is disabled)."""
        return [CredentialFile(self.host.home / SECRETS, SECRETS, freshness=unknown_freshness)]

    def init_home(self, home: Path, *, share_auth: bool) -> None:
        """Seed the host's ``config.yaml`` (provider, extensions) when auth is shared."""
        if not share_auth or read_beneath(home, CONFIG) is not None:
            return
        data = read_host_file(self.host.home / CONFIG)
        if data is not None:
            write_beneath(home, CONFIG, data, mode=0o644)

    def check_auth(self) -> AuthStatus:
        """A secrets file, or a provider API key in the environment."""
        keys = [k for k in PROVIDER_KEYS if os.environ.get(k)]
        if keys:
            return AuthStatus(ok=True, detail=f"provider key in the environment ({keys[0]})")
        try:
            present = read_host_file(self.host.home / SECRETS) is not None
        except FileRefusedError as exc:
            return AuthStatus(ok=False, detail=str(exc))
        if present:
            return AuthStatus(ok=True, detail="secrets.yaml present")
        return AuthStatus(ok=False, detail="no provider key and no secrets.yaml")

    def login_args(self) -> list[str]:
        """``goose configure`` (interactive provider setup)."""
        return ["configure"]

    # -- arguments and settings --------------------------------------------

    def build_args(self, request: ArgsRequest) -> list[str]:
        """``goose session``, resuming the last one unless new or first run."""
        if request.mode == "resume" or not (request.new or request.first_run):
            return ["session", "--resume"]
        return ["session"]

    def setting_descriptors(self) -> list[SettingDescriptor]:
        """Provider, model and mode: all passed as environment variables."""
        return [
            SettingDescriptor("provider", "LLM provider (empty: config.yaml's)", "", PROVIDERS),
            SettingDescriptor("model", "Model name (empty: the provider's default)", ""),
            SettingDescriptor("mode", "How Goose acts (approve is forced by -S)", "auto", MODES),
        ]

    def translate_state(self, state: Mapping[str, str], request: ArgsRequest) -> StateTranslation:
        """``GOOSE_PROVIDER``/``GOOSE_MODEL`` when set; ``GOOSE_MODE`` always."""
        env = {"GOOSE_MODE": "approve" if request.safe else state.get("mode", "auto")}
        if state.get("provider"):
            env["GOOSE_PROVIDER"] = state["provider"]
        if state.get("model"):
            env["GOOSE_MODEL"] = state["model"]
        return StateTranslation(env=env)

    def resource_mappings(self) -> list[ResourceMapping]:
        """Memory shared between projects, sessions per project."""
        return [
            ResourceMapping(".config/goose/memory/", ResourceScope.SHARED, "memory extension"),
            ResourceMapping(".local/share/goose/sessions/", ResourceScope.PROJECT, "sessions"),
        ]

    def generate_agent_config(self) -> AgentConfig:
        """The defaults, plus ``GOOSE_DISABLE_KEYRING`` (containers have no keyring)."""
        config = super().generate_agent_config()
        return AgentConfig(
            name=config.name,
            state=config.state,
            env={"GOOSE_DISABLE_KEYRING": "1"},
        )
