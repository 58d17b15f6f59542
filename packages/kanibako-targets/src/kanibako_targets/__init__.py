"""The Kanibako target plugin API, with the Claude Code and no-agent targets.

A plugin subclasses ``Target`` and registers it under the entry-point group
``kanibako.targets``; see docs/writing-targets.md. ``Mount`` is re-exported
from kanibako-runtime so that a plugin depends on this package alone.
"""

from kanibako_runtime import Mount
from kanibako_targets.__about__ import __version__
from kanibako_targets.agent_config import (
    AgentConfig,
    agent_config_path,
    ensure_agent_config,
    load_agent_config,
    parse_agent_config,
    write_agent_config,
)
from kanibako_targets.credentials import (
    credential_lock,
    lock_path_for,
    refresh_into_home,
    write_back_to_host,
)
from kanibako_targets.discovery import (
    ENTRY_POINT_GROUP,
    ResolvedTarget,
    load_entry_point,
    load_target_class,
    resolve_target,
    target_names,
)
from kanibako_targets.errors import (
    AgentConfigError,
    CredentialError,
    PluginLoadError,
    SettingError,
    SymlinkRefusedError,
    TargetError,
    UnknownTargetError,
)
from kanibako_targets.host import HostEnvironment
from kanibako_targets.no_agent import NO_AGENT
from kanibako_targets.resources import (
    EffectiveResource,
    agent_shared_mounts,
    apply_resources,
    effective_resources,
    find_resource,
    parse_scope,
)
from kanibako_targets.safe_files import (
    read_beneath,
    read_host_file,
    write_beneath,
    write_host_file,
)
from kanibako_targets.settings import (
    EffectiveSetting,
    check_value,
    effective_settings,
    effective_state,
    find_descriptor,
)
from kanibako_targets.target import CONTAINER_BIN_DIR, Target
from kanibako_targets.values import (
    AgentInstall,
    AgentMode,
    ArgsRequest,
    AuthStatus,
    CredentialFile,
    LaunchCommand,
    ResourceMapping,
    ResourceScope,
    SettingDescriptor,
    StateTranslation,
)

__all__ = [
    "CONTAINER_BIN_DIR",
    "ENTRY_POINT_GROUP",
    "NO_AGENT",
    "AgentConfig",
    "AgentConfigError",
    "AgentInstall",
    "AgentMode",
    "ArgsRequest",
    "AuthStatus",
    "CredentialError",
    "CredentialFile",
    "EffectiveResource",
    "EffectiveSetting",
    "HostEnvironment",
    "LaunchCommand",
    "Mount",
    "PluginLoadError",
    "ResolvedTarget",
    "ResourceMapping",
    "ResourceScope",
    "SettingDescriptor",
    "SettingError",
    "StateTranslation",
    "SymlinkRefusedError",
    "Target",
    "TargetError",
    "UnknownTargetError",
    "__version__",
    "agent_config_path",
    "agent_shared_mounts",
    "apply_resources",
    "check_value",
    "credential_lock",
    "effective_resources",
    "effective_settings",
    "effective_state",
    "ensure_agent_config",
    "find_descriptor",
    "find_resource",
    "load_agent_config",
    "load_entry_point",
    "load_target_class",
    "lock_path_for",
    "parse_agent_config",
    "parse_scope",
    "read_beneath",
    "read_host_file",
    "refresh_into_home",
    "resolve_target",
    "target_names",
    "write_agent_config",
    "write_back_to_host",
    "write_beneath",
    "write_host_file",
]
