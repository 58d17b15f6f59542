"""The other helpers' glue modules, imported only when present and only when used.

Each module is owned by another part of Kanibako (vault snapshots, agent
targets, the helper hub, image supply). Importing them lazily keeps their cost
off the launch path when a session does not need them (``--no-helpers``).
"""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_module(name: str) -> ModuleType | None:
    """``kanibako.<name>`` if it exists; a broken module still raises."""
    full = f"kanibako.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name == full:
            return None
        raise
