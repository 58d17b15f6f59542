"""Build hook: ship the repository's containers/ directory inside the kanibako wheel.

The Containerfiles live at the repository root (they are not Python code), but
``kanibako image rebuild`` needs them from an installed wheel. A wheel built
from the checkout takes them from ``../../containers``; an sdist carries them
as ``containers/`` so a wheel built from the sdist finds them there. Editable
installs get nothing copied: kanibako reads the checkout's live files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MANIFEST = "images.toml"


class BundledContainersHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the Containerfiles to the wheel (``kanibako/containers``) and the sdist."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        root = Path(self.root)
        for source in (root / "containers", root.parent.parent / "containers"):
            if (source / MANIFEST).is_file():
                break
        else:
            raise FileNotFoundError(f"no containers/{MANIFEST} beside or above {root}")
        target = "kanibako/containers" if self.target_name == "wheel" else "containers"
        build_data["force_include"][str(source)] = target
