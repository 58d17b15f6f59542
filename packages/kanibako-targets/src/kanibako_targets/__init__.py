"""The Kanibako target plugin API, with the Claude Code and no-agent targets.

A *target* is a plugin: a ``Target`` subclass registered under the entry-point
group ``kanibako.targets``, which tells Kanibako how to find, mount and run
one *agent* (the program, such as Claude Code) in a container. See
docs/writing-targets.md. These names are everything a plugin author uses;
``Mount`` is re-exported from kanibako-runtime so that a plugin depends on
this package alone. Kanibako's own side lives in ``kanibako_targets.internal``.
"""

from kanibako_runtime import Mount
from kanibako_targets.__about__ import __version__
from kanibako_targets.agent_config import AgentConfig
from kanibako_targets.errors import (
    CredentialError,
    FileRefusedError,
    SymlinkRefusedError,
    TargetError,
)
from kanibako_targets.host import HostEnvironment
from kanibako_targets.safe_files import (
    read_beneath,
    read_host_file,
    write_beneath,
    write_host_file,
)
from kanibako_targets.target import CONTAINER_BIN_DIR, Target
from kanibako_targets.values import (
    AccountCheck,
    AgentInstall,
    AgentMode,
    ArgsRequest,
    AuthStatus,
    CredentialFile,
    Freshness,
    LaunchCommand,
    ResourceMapping,
    ResourceScope,
    SameAccount,
    SettingDescriptor,
    StateTranslation,
)

__all__ = [
    "CONTAINER_BIN_DIR",
    "AccountCheck",
    "AgentConfig",
    "AgentInstall",
    "AgentMode",
    "ArgsRequest",
    "AuthStatus",
    "CredentialError",
    "CredentialFile",
    "FileRefusedError",
    "Freshness",
    "HostEnvironment",
    "LaunchCommand",
    "Mount",
    "ResourceMapping",
    "ResourceScope",
    "SameAccount",
    "SettingDescriptor",
    "StateTranslation",
    "SymlinkRefusedError",
    "Target",
    "TargetError",
    "__version__",
    "read_beneath",
    "read_host_file",
    "write_beneath",
    "write_host_file",
]
