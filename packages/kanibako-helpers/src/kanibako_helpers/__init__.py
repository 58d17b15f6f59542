"""Kanibako helper agents: numbering, budgets, the host hub, its client and the message log.

Every public name is imported on first use (PEP 562): the launch path reads a
token file or a socket path through this package before the hub (asyncio and
the router) is needed, and must not pay for it then (bench/launch_overhead.py).
"""

from typing import TYPE_CHECKING, Any

from kanibako_helpers.__about__ import __version__

# Eager, and light: each shares its name with its module, which importing the
# module would otherwise bind here in the function's place.
from kanibako_helpers.display_text import display_text
from kanibako_helpers.session_dir import session_dir, socket_path

if TYPE_CHECKING:
    from kanibako_helpers.budget import SpawnBudget, child_budget, free_child_number
    from kanibako_helpers.client import HubClient, connect_mailbox
    from kanibako_helpers.errors import (
        BudgetExceeded,
        HelperError,
        HelperUsageError,
        HubRefused,
        HubUnavailable,
        NotPermitted,
    )
    from kanibako_helpers.helper_config import HelperConfig, read_helper_config, write_helper_config
    from kanibako_helpers.helper_registry import WAS_RUNNING, read_registry, registry_path
    from kanibako_helpers.hub_state import HubConfig
    from kanibako_helpers.layout import (
        CONTAINER_CLI,
        CONTAINER_HELPERS,
        CONTAINER_LOG,
        CONTAINER_SOCKET,
        HelperTree,
    )
    from kanibako_helpers.message_log import LogEntry, follow_log, format_entry, read_log
    from kanibako_helpers.numbering import (
        DIRECTOR,
        ancestors,
        child_number,
        children_of,
        depth_of,
        is_descendant,
        parent_of,
    )
    from kanibako_helpers.runner import HubRunner
    from kanibako_helpers.spawn import BindMount, RunningHelper, Spawner, SpawnRequest

_LAZY = {
    "SpawnBudget": "kanibako_helpers.budget",
    "child_budget": "kanibako_helpers.budget",
    "free_child_number": "kanibako_helpers.budget",
    "HubClient": "kanibako_helpers.client",
    "connect_mailbox": "kanibako_helpers.client",
    "BudgetExceeded": "kanibako_helpers.errors",
    "HelperError": "kanibako_helpers.errors",
    "HelperUsageError": "kanibako_helpers.errors",
    "HubRefused": "kanibako_helpers.errors",
    "HubUnavailable": "kanibako_helpers.errors",
    "NotPermitted": "kanibako_helpers.errors",
    "HelperConfig": "kanibako_helpers.helper_config",
    "read_helper_config": "kanibako_helpers.helper_config",
    "write_helper_config": "kanibako_helpers.helper_config",
    "WAS_RUNNING": "kanibako_helpers.helper_registry",
    "read_registry": "kanibako_helpers.helper_registry",
    "registry_path": "kanibako_helpers.helper_registry",
    "HubConfig": "kanibako_helpers.hub_state",
    "CONTAINER_CLI": "kanibako_helpers.layout",
    "CONTAINER_HELPERS": "kanibako_helpers.layout",
    "CONTAINER_LOG": "kanibako_helpers.layout",
    "CONTAINER_SOCKET": "kanibako_helpers.layout",
    "HelperTree": "kanibako_helpers.layout",
    "LogEntry": "kanibako_helpers.message_log",
    "follow_log": "kanibako_helpers.message_log",
    "format_entry": "kanibako_helpers.message_log",
    "read_log": "kanibako_helpers.message_log",
    "DIRECTOR": "kanibako_helpers.numbering",
    "ancestors": "kanibako_helpers.numbering",
    "child_number": "kanibako_helpers.numbering",
    "children_of": "kanibako_helpers.numbering",
    "depth_of": "kanibako_helpers.numbering",
    "is_descendant": "kanibako_helpers.numbering",
    "parent_of": "kanibako_helpers.numbering",
    "HubRunner": "kanibako_helpers.runner",
    "BindMount": "kanibako_helpers.spawn",
    "RunningHelper": "kanibako_helpers.spawn",
    "Spawner": "kanibako_helpers.spawn",
    "SpawnRequest": "kanibako_helpers.spawn",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kanibako_helpers' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "CONTAINER_CLI",
    "CONTAINER_HELPERS",
    "CONTAINER_LOG",
    "CONTAINER_SOCKET",
    "DIRECTOR",
    "WAS_RUNNING",
    "BindMount",
    "BudgetExceeded",
    "HelperConfig",
    "HelperError",
    "HelperTree",
    "HelperUsageError",
    "HubClient",
    "HubConfig",
    "HubRefused",
    "HubRunner",
    "HubUnavailable",
    "LogEntry",
    "NotPermitted",
    "RunningHelper",
    "SpawnBudget",
    "SpawnRequest",
    "Spawner",
    "__version__",
    "ancestors",
    "child_budget",
    "child_number",
    "children_of",
    "connect_mailbox",
    "depth_of",
    "display_text",
    "follow_log",
    "format_entry",
    "free_child_number",
    "is_descendant",
    "parent_of",
    "read_helper_config",
    "read_log",
    "read_registry",
    "registry_path",
    "session_dir",
    "socket_path",
    "write_helper_config",
]
