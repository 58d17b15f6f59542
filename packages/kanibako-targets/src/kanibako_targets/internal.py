"""What Kanibako itself uses of this package, beyond the plugin API.

Plugin authors need only ``kanibako_targets`` (the ``Target`` class, the values
it exchanges, the errors and the safe file helpers) and
``kanibako_targets.testing``. This module is Kanibako's side: finding and
resolving targets, the agent TOML files, effective settings and resources, and
the credential rules that ``Target.refresh_credentials`` and
``Target.write_back_credentials`` apply. It may change without notice to plugins.
"""

from kanibako_targets.agent_config import (
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
    PluginLoadError,
    SettingError,
    UnknownTargetError,
)
from kanibako_targets.no_agent import NO_AGENT
from kanibako_targets.resources import (
    EffectiveResource,
    agent_shared_mounts,
    apply_resources,
    effective_resources,
    find_resource,
    parse_scope,
)
from kanibako_targets.settings import (
    EffectiveSetting,
    check_value,
    effective_settings,
    effective_state,
    find_descriptor,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "NO_AGENT",
    "AgentConfigError",
    "EffectiveResource",
    "EffectiveSetting",
    "PluginLoadError",
    "ResolvedTarget",
    "SettingError",
    "UnknownTargetError",
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
    "refresh_into_home",
    "resolve_target",
    "target_names",
    "write_agent_config",
    "write_back_to_host",
]
