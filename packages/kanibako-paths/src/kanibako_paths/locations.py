"""Where Kanibako keeps its files on the host (XDG, with ``[paths]`` overrides)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanibako_paths.errors import ConfigError
from kanibako_paths.tomlfile import read_toml, table_at

APP_NAME = "kanibako"
CONFIG_FILE_NAME = "kanibako.toml"

# [paths] keys naming subdirectories of the data directory, and their defaults.
PATH_SUBDIRS: dict[str, str] = {
    "boxes": "boxes",
    "agents": "agents",
    "shared": "shared",
    "templates": "templates",
}


@dataclass(frozen=True)
class KanibakoPaths:
    """The host locations of Kanibako's state, resolved once per command."""

    config_file: Path
    """The global config, ``$XDG_CONFIG_HOME/kanibako.toml``."""
    data_dir: Path
    """``$XDG_DATA_HOME/kanibako`` unless ``[paths] data_path`` overrides it."""
    boxes_dir: Path
    """Account-centric project state, one ``{sha256}`` directory per project."""
    agents_dir: Path
    """Agent TOML files (``{id}.toml``)."""
    shared_dir: Path
    """Shared caches: ``global/{name}`` and ``{agent}/{name}``."""
    templates_dir: Path
    """Shell templates (``general/base``, ``{agent}/{variant}``, ``general/{variant}``)."""
    global_env_file: Path
    """Env vars for every project (Docker ``.env`` format)."""
    worksets_file: Path
    """The registry of working sets (name -> root directory)."""
    projects_file: Path
    """Known decentralized projects (they live anywhere, so ``box list`` needs a list)."""

    @property
    def global_shared_dir(self) -> Path:
        """Host directory holding the global shared caches."""
        return self.shared_dir / "global"

    def agent_shared_dir(self, agent_id: str) -> Path:
        """Host directory holding one agent's shared caches."""
        return self.shared_dir / agent_id


def default_config_file() -> Path:
    """``$XDG_CONFIG_HOME/kanibako.toml`` (``~/.config`` when the variable is unset)."""
    if _is_xdg_platform():
        return _xdg_dir("XDG_CONFIG_HOME", ".config") / CONFIG_FILE_NAME
    from platformdirs import user_config_dir

    return Path(user_config_dir()) / CONFIG_FILE_NAME


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/kanibako`` (``~/.local/share/kanibako`` when unset)."""
    if _is_xdg_platform():
        return _xdg_dir("XDG_DATA_HOME", ".local/share") / APP_NAME
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def _is_xdg_platform() -> bool:
    # On Linux and the BSDs platformdirs answers exactly the XDG Base Directory
    # rule below, but importing it costs ~5 ms (it pulls in tempfile) on every
    # command, `status` included; elsewhere we defer to it.
    return os.name == "posix" and sys.platform != "darwin"


def _xdg_dir(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "").strip()
    return Path(value) if value else Path.home() / fallback


def load_paths(config_file: Path | None = None) -> KanibakoPaths:
    """Resolve every location, honouring the ``[paths]`` table of the global config.

    A missing config file means defaults (Kanibako works without ``setup``).
    """
    config_file = config_file or default_config_file()
    overrides = table_at(read_toml(config_file), "paths", config_file)
    return paths_from_table(config_file, overrides)


def paths_from_table(config_file: Path, overrides: dict[str, Any]) -> KanibakoPaths:
    """Build the locations from a ``[paths]`` table (already read from ``config_file``)."""
    data_path = _string(overrides, "data_path", "", config_file)
    if data_path:
        data_dir = Path(data_path).expanduser()
        if not data_dir.is_absolute():
            raise ConfigError(f"{config_file}: [paths] data_path must be absolute: {data_path!r}")
    else:
        data_dir = default_data_dir()
    sub = {
        key: data_dir / Path(_string(overrides, key, default, config_file)).expanduser()
        for key, default in PATH_SUBDIRS.items()
    }
    return KanibakoPaths(
        config_file=config_file,
        data_dir=data_dir,
        boxes_dir=sub["boxes"],
        agents_dir=sub["agents"],
        shared_dir=sub["shared"],
        templates_dir=sub["templates"],
        global_env_file=data_dir / "env",
        worksets_file=data_dir / "worksets.toml",
        projects_file=data_dir / "projects.toml",
    )


def _string(table: dict[str, Any], key: str, default: str, source: Path) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{source}: [paths] {key} must be a string")
    return value
