"""The ``Target`` abstract base class: everything Kanibako asks of a target plugin.

A plugin subclasses ``Target``, sets ``name`` / ``display_name`` / ``command``,
implements ``detect()`` and ``build_args()``, and overrides whatever else its
agent needs (credentials, settings, resources, files in the home). It registers
the class under the entry-point group ``kanibako.targets``. The defaults below
are chosen so that a minimal plugin is correct, not merely importable.

Words: a *target* is the plugin (this class, its ``name``); the *agent* is
the program it runs (its install, binary, files and config).
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, final

from kanibako_runtime import Mount
from kanibako_targets.agent_config import AgentConfig
from kanibako_targets.credentials import refresh_into_home, write_back_to_host
from kanibako_targets.host import HostEnvironment
from kanibako_targets.safe_files import read_host_file
from kanibako_targets.values import (
    AgentInstall,
    ArgsRequest,
    AuthStatus,
    CredentialFile,
    LaunchCommand,
    ResourceMapping,
    SettingDescriptor,
    StateTranslation,
)

# Where agent binaries appear in the container: on every image's default PATH.
CONTAINER_BIN_DIR = "/usr/local/bin"
# The methods that apply the credential-safety rules: a plugin describes its
# credentials (``credential_files``) and cannot change how they are forwarded.
CREDENTIAL_RULES = ("refresh_credentials", "write_back_credentials")


class Target(ABC):
    """A target: how Kanibako finds, mounts and runs one agent in a container.

    Instances are cheap; ``host`` says which home and PATH to look at (the
    current process's by default, a throwaway one in tests).
    """

    #: The target's name: its entry-point name, ``kanibako config target_name
    #: NAME``, and the name of its agent's config ``agents/{name}.toml``.
    name: ClassVar[str]
    #: The agent's human name, written into the generated agent config.
    display_name: ClassVar[str]
    #: The command the agent runs as inside the container ("" for no agent).
    command: ClassVar[str] = ""
    #: The directory in the home that ``resource_mappings`` paths are relative to.
    resource_root: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Refuse, at class creation, a subclass that replaces a credential rule.

        ``typing.final`` tells a type checker; this tells a plugin that was
        never type-checked (it then fails to load, with the reason).
        """
        super().__init_subclass__(**kwargs)
        for rule in CREDENTIAL_RULES:
            if rule in cls.__dict__:
                raise TypeError(
                    f"{cls.__qualname__} overrides Target.{rule}, which applies the "
                    "credential-safety rules; describe credentials in credential_files()"
                )

    def __init__(self, host: HostEnvironment | None = None) -> None:
        self.host = host if host is not None else HostEnvironment.current()

    # -- finding the agent -------------------------------------------------

    @abstractmethod
    def detect(self) -> AgentInstall | None:
        """Find the agent on the host; None when it is not installed."""

    def which(self, command: str) -> Path | None:
        """``command`` on the host's PATH (a helper for ``detect``)."""
        found = shutil.which(command, path=self.host.path)
        return Path(found) if found else None

    def binary_mounts(self, install: AgentInstall) -> list[Mount]:
        """Read-only mounts that make ``install.command`` runnable in the container.

        The default mounts the resolved binary file as
        ``/usr/local/bin/{command}``; an agent installed as a directory tree
        overrides this.
        """
        target = f"{CONTAINER_BIN_DIR}/{install.command}"
        return [Mount(source=install.binary, target=target, read_only=True)]

    # -- the project's home ------------------------------------------------

    def init_home(self, home: Path, *, share_auth: bool) -> None:  # noqa: B027 (optional hook)
        """Create the agent's files in a new project's home (first run only).

        ``share_auth`` is false for projects with distinct credentials: then
        nothing may be copied from the host's own agent files.
        """

    # -- credentials -------------------------------------------------------

    def credential_files(self) -> list[CredentialFile]:
        """The credential files forwarded between the host and the home."""
        return []

    @final
    def refresh_credentials(self, home: Path) -> list[Path]:
        """Copy host credentials into ``home`` before launch; returns those copied.

        A fresher token still in the home (its session was killed before the
        write-back) is written back to the host first, so it is not lost; a bad
        or foreign copy is set aside, and the host's goes in.
        """
        copied = []
        for cred in self.credential_files():
            write_back_to_host(cred, home)
            if refresh_into_home(cred, home):
                copied.append(home / cred.home_path)
        return copied

    @final
    def write_back_credentials(self, home: Path) -> list[Path]:
        """Write fresher credentials of the host's account back; returns those written.

        A bad or foreign copy in ``home`` is set aside with one line on stderr.
        """
        return [
            cred.host_path for cred in self.credential_files() if write_back_to_host(cred, home)
        ]

    def check_auth(self) -> AuthStatus:
        """Whether the host credentials look usable (``kanibako reauth``)."""
        files = self.credential_files()
        if not files:
            return AuthStatus(ok=True, detail=f"{self.display_name} needs no credentials")
        missing = [str(c.host_path) for c in files if read_host_file(c.host_path) is None]
        if missing:
            return AuthStatus(ok=False, detail=f"missing {', '.join(missing)}")
        return AuthStatus(ok=True, detail="credentials present")

    def login_args(self) -> list[str] | None:
        """Arguments to the agent binary that run its login on the host; None if it has none."""
        return None

    # -- arguments and settings --------------------------------------------

    @abstractmethod
    def build_args(self, request: ArgsRequest) -> list[str]:
        """The agent's arguments for a start/resume, ``-N``, ``-S`` and first run.

        Settings are handled by ``translate_state``; ``extra_args`` and the
        agent config's ``default_args`` are placed by ``command_line``.
        """

    def setting_descriptors(self) -> list[SettingDescriptor]:
        """The runtime settings this target understands (``box settings``)."""
        return []

    def translate_state(self, state: Mapping[str, str], request: ArgsRequest) -> StateTranslation:
        """Turn effective settings (agent ``[state]`` with overrides) into args and env."""
        return StateTranslation()

    def resource_mappings(self) -> list[ResourceMapping]:
        """Agent resources in the home and their default sharing scope (``box resource``)."""
        return []

    def network_hosts(self) -> list[str]:
        """Hosts the agent needs to reach (``host``, ``*.suffix``, ``host:port``).

        A session in the default ``network = allowlist`` mode lets its
        container reach these (and the registry presets) and nothing else.
        """
        return []

    def generate_agent_config(self) -> AgentConfig:
        """The agent TOML written on first use: every setting at its default."""
        return AgentConfig(
            name=self.display_name,
            state={d.key: d.default for d in self.setting_descriptors()},
        )

    def command_line(
        self, install: AgentInstall, request: ArgsRequest, default_args: tuple[str, ...] = ()
    ) -> LaunchCommand:
        """The full command: ``command``, default args, mode args, state args, extra args."""
        translation = self.translate_state(request.state, request)
        argv = [
            install.command,
            *default_args,
            *self.build_args(request),
            *translation.args,
            *request.extra_args,
        ]
        return LaunchCommand(argv=tuple(argv), env=translation.env)
