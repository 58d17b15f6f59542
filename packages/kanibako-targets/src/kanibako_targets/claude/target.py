"""Claude Code: detection, arguments, settings, resources and credentials."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from kanibako_targets.claude import account
from kanibako_targets.claude.install import COMMAND, find_claude
from kanibako_targets.errors import FileRefusedError
from kanibako_targets.safe_files import read_beneath, read_host_file, set_aside, write_beneath
from kanibako_targets.target import Target
from kanibako_targets.values import (
    AccountCheck,
    AgentInstall,
    ArgsRequest,
    AuthStatus,
    CredentialFile,
    ResourceMapping,
    ResourceScope,
    SettingDescriptor,
    StateTranslation,
)

CREDENTIALS = ".claude/.credentials.json"
GLOBAL_STATE = ".claude.json"
SETTINGS = ".claude/settings.json"
ACCESS_CHOICES = ("permissive", "default")


# No OAuth access token lives a year; an expiry past that is forged or broken
# (and one like 9999999999999 would win every freshness comparison).
LONGEST_TOKEN_LIFE_MS = 366 * 24 * 3600 * 1000


def checked_expiry(data: bytes, now: float | None = None) -> int:
    """``claudeAiOauth.expiresAt`` (ms since the epoch); ValueError naming what is wrong.

    Only a JSON integer between the epoch and a year from ``now`` is an expiry:
    ``Infinity``, floats, strings, a 400-digit number and far-off times are not.
    """
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:  # a number of 4,300+ digits is a ValueError
        raise ValueError("not JSON") from exc
    oauth = document.get("claudeAiOauth") if isinstance(document, dict) else None
    if not isinstance(oauth, dict):
        raise ValueError("no claudeAiOauth object")
    expires = oauth.get("expiresAt")
    if type(expires) is not int:
        raise ValueError(f"expiresAt is not an integer ({type(expires).__name__})")
    latest = ((time.time() if now is None else now) * 1000) + LONGEST_TOKEN_LIFE_MS
    if not 0 <= expires <= latest:
        raise ValueError("expiresAt is not a plausible time (before 1970 or over a year ahead)")
    return expires


def token_expiry(data: bytes) -> int | None:
    """``checked_expiry``, or None when the file holds no plausible expiry."""
    try:
        return checked_expiry(data)
    except ValueError:
        return None


class ClaudeTarget(Target):
    """Claude Code, mounted from the host's install."""

    name = "claude"
    display_name = "Claude Code"
    command = COMMAND
    resource_root = ".claude"

    def detect(self) -> AgentInstall | None:
        """npm install, native installer, or any ``claude`` on PATH."""
        return find_claude(self.host)

    # -- home and credentials ----------------------------------------------

    def credential_files(self) -> list[CredentialFile]:
        """``~/.claude/.credentials.json``: fresher = later expiry, the account by its issuer."""
        return [
            CredentialFile(
                host_path=self.host.home / CREDENTIALS,
                home_path=CREDENTIALS,
                freshness=checked_expiry,
                same_account=self.same_account,
            )
        ]

    def same_account(self, home_data: bytes, host_data: bytes | None) -> AccountCheck:
        """Ask the token's issuer whether the home's token is the host's account."""
        url = account.issuer_url(self.host.environ)
        return account.same_account(url, home_data, host_data, self.host.home / GLOBAL_STATE)

    def init_home(self, home: Path, *, share_auth: bool) -> None:
        """Create ``~/.claude``; with shared auth, seed Claude's settings from the host.

        - ``~/.claude.json`` holds the account and onboarding state Claude
          needs to skip its first-run questions; its per-project history
          (``projects``) names host paths and is left out.
        - ``~/.claude/settings.json`` (the user's settings) is copied as is,
          unless the project already has one (e.g. seeded from the shared dir).

        Both are seeded once and never written back: the container's copies
        describe the container's projects.
        """
        _claude_dir(home)
        if not share_auth:
            return
        if _absent(home, GLOBAL_STATE):
            data = read_host_file(self.host.home / GLOBAL_STATE)
            with contextlib.suppress(ValueError, TypeError):
                document = json.loads(data or b"")
                if isinstance(document, dict):
                    document.pop("projects", None)
                    write_beneath(home, GLOBAL_STATE, json.dumps(document, indent=2).encode())
        if _absent(home, SETTINGS):
            settings = read_host_file(self.host.home / SETTINGS)
            if settings is not None:
                write_beneath(home, SETTINGS, settings, mode=0o600)

    def check_auth(self) -> AuthStatus:
        """Credentials present, and either unexpired or refreshable."""
        path = self.host.home / CREDENTIALS
        try:
            data = read_host_file(path)
        except FileRefusedError as exc:
            return AuthStatus(ok=False, detail=str(exc))
        if data is None:
            return AuthStatus(ok=False, detail=f"no credentials at {path}")
        try:
            expiry = checked_expiry(data)
        except ValueError as exc:
            return AuthStatus(ok=False, detail=f"{path} holds no usable OAuth token: {exc}")
        oauth = json.loads(data)["claudeAiOauth"]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(expiry / 1000))
        if expiry / 1000 > time.time():
            return AuthStatus(ok=True, detail=f"token valid until {when}")
        if oauth.get("refreshToken"):
            return AuthStatus(ok=True, detail=f"token expired {when}; Claude will refresh it")
        return AuthStatus(ok=False, detail=f"token expired {when} and cannot be refreshed")

    def login_args(self) -> list[str]:
        """``claude auth login``."""
        return ["auth", "login"]

    # -- arguments and settings --------------------------------------------

    def build_args(self, request: ArgsRequest) -> list[str]:
        """``--resume`` for resume; ``--continue`` for start except first run and ``-N``."""
        if request.mode == "resume":
            return ["--resume"]
        if request.new or request.first_run:
            return []
        return ["--continue"]

    def setting_descriptors(self) -> list[SettingDescriptor]:
        """``model`` (free text) and ``access`` (permissive or default)."""
        return [
            SettingDescriptor("model", "Model passed to --model (empty: Claude's own)", "opus"),
            SettingDescriptor(
                "access",
                "Permission mode: permissive skips permission prompts (unless -S)",
                "permissive",
                ACCESS_CHOICES,
            ),
        ]

    def translate_state(self, state: Mapping[str, str], request: ArgsRequest) -> StateTranslation:
        """``model`` -> ``--model``; permissive access -> ``--dangerously-skip-permissions``."""
        args: list[str] = []
        # The mounted binary is read-only: its self-updater could only fail.
        env = {"DISABLE_AUTOUPDATER": "1"}
        if state.get("access", "permissive") == "permissive" and not request.safe:
            args.append("--dangerously-skip-permissions")
            # Claude refuses that flag as uid 0 ("cannot be used with root/sudo
            # privileges") unless told it runs in a sandbox. It does: a session
            # started by root runs as 0:0 inside a container of its own.
            env["IS_SANDBOX"] = "1"
        model = state.get("model", "")
        if model:
            args += ["--model", model]
        return StateTranslation(args=tuple(args), env=env)

    def network_hosts(self) -> list[str]:
        # Claude Code's documented network requirements (the API, its feature
        # flags and error reports), plus the hosts its OAuth login and token
        # refresh talk to.
        return [
            "api.anthropic.com",
            "statsig.anthropic.com",
            "sentry.io",
            "claude.ai",
            "console.anthropic.com",
            "platform.claude.com",
        ]

    def resource_mappings(self) -> list[ResourceMapping]:
        """Plugins shared, personal settings seeded, session data per project."""
        shared, seeded, project = ResourceScope.SHARED, ResourceScope.SEEDED, ResourceScope.PROJECT
        return [
            ResourceMapping("plugins/", shared, "plugins and marketplaces"),
            ResourceMapping("settings.json", seeded, "user settings"),
            ResourceMapping("CLAUDE.md", seeded, "personal instructions (memory)"),
            ResourceMapping("commands/", seeded, "custom slash commands"),
            ResourceMapping("agents/", seeded, "custom subagents"),
            ResourceMapping("projects/", project, "conversation history"),
            ResourceMapping("todos/", project, "session todo lists"),
        ]


def _claude_dir(home: Path) -> None:
    """Make ``~/.claude`` a directory; anything else there (planted) is set aside, one line.

    The agent may have run under another target before Claude's first run here:
    a file, FIFO or link at ``.claude`` must not stop the launch.
    """
    claude = home / ".claude"
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISDIR(os.lstat(claude).st_mode):
            moved = set_aside(home, ".claude")
            if moved is not None:
                print(
                    f"kanibako: {claude} is not a directory; set aside as {moved.name}",
                    file=sys.stderr,
                    flush=True,
                )
    claude.mkdir(mode=0o700, exist_ok=True)


def _absent(home: Path, relative: str) -> bool:
    """Whether nothing is at ``home/relative``; something refused (a link, a FIFO) is kept."""
    try:
        return read_beneath(home, relative) is None
    except FileRefusedError:
        return False  # the agent's own: never seeded over, never read
