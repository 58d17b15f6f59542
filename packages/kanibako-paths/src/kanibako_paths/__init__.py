"""Where Kanibako keeps state: XDG paths, project modes, config, env files, worksets.

The public API is what this module re-exports; everything else is private.
"""

from kanibako_paths.__about__ import __version__
from kanibako_paths.atomic import atomic_write_bytes, atomic_write_text
from kanibako_paths.box_settings import AUTH_MODES, LAYOUTS, SETTABLE_KEYS, parse_box_setting
from kanibako_paths.config import (
    ALIASES,
    CONFIG_KEYS,
    DEFAULT_IMAGE,
    ConfigKey,
    ResolvedConfig,
    canonical_key,
    clear_config,
    load_global_config,
    resolve_config,
    set_config_value,
    unset_config_value,
)
from kanibako_paths.envfile import (
    merged_env,
    parse_env_text,
    read_env_file,
    set_env_var,
    unset_env_var,
    validate_env_key,
)
from kanibako_paths.errors import (
    ConfigError,
    EnvFileError,
    KanibakoPathsError,
    ProjectError,
    StateTransferError,
    WorksetError,
)
from kanibako_paths.locations import KanibakoPaths, load_paths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.project import Project, project_at, project_hash, resolve_project
from kanibako_paths.project_init import ensure_initialized, init_local, init_project
from kanibako_paths.shell_skeleton import upgrade_shell, write_shell_skeleton
from kanibako_paths.templates import apply_templates, resolve_template
from kanibako_paths.tomlfile import read_toml, write_toml
from kanibako_paths.worksets import Workset, WorksetMember

__all__ = [
    "ALIASES",
    "AUTH_MODES",
    "CONFIG_KEYS",
    "DEFAULT_IMAGE",
    "LAYOUTS",
    "SETTABLE_KEYS",
    "ConfigError",
    "ConfigKey",
    "EnvFileError",
    "KanibakoPaths",
    "KanibakoPathsError",
    "Project",
    "ProjectError",
    "ProjectMode",
    "ResolvedConfig",
    "StateTransferError",
    "Workset",
    "WorksetError",
    "WorksetMember",
    "__version__",
    "apply_templates",
    "atomic_write_bytes",
    "atomic_write_text",
    "canonical_key",
    "clear_config",
    "ensure_initialized",
    "init_local",
    "init_project",
    "load_global_config",
    "load_paths",
    "merged_env",
    "parse_box_setting",
    "parse_env_text",
    "project_at",
    "project_hash",
    "read_env_file",
    "read_toml",
    "resolve_config",
    "resolve_project",
    "resolve_template",
    "set_config_value",
    "set_env_var",
    "unset_config_value",
    "unset_env_var",
    "upgrade_shell",
    "validate_env_key",
    "write_shell_skeleton",
    "write_toml",
]
