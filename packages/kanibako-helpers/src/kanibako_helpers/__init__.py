"""Kanibako helper agents: numbering, budgets, the host hub, its client and the message log."""

from kanibako_helpers.__about__ import __version__
from kanibako_helpers.budget import SpawnBudget, child_budget, free_child_number
from kanibako_helpers.client import HubClient, connect_mailbox
from kanibako_helpers.display_text import display_text
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
from kanibako_helpers.session_dir import session_dir, socket_path
from kanibako_helpers.spawn import BindMount, RunningHelper, Spawner, SpawnRequest

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
