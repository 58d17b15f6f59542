"""Where Kanibako keeps state: XDG paths, project modes, config, env files, worksets.

The public API is what this module re-exports; everything else is private.
What ``kanibako status`` needs (locations, modes, projects, config) is
imported eagerly; every other name loads its module on first use, so that the
commands that run most often stay fast.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from kanibako_paths.__about__ import __version__
from kanibako_paths.atomic import atomic_file, atomic_write_bytes, atomic_write_text
from kanibako_paths.box_settings import (
    AUTH_MODES,
    LAYOUTS,
    SETTABLE_KEYS,
    parse_box_setting,
    store_box_setting,
)
from kanibako_paths.config import (
    ALIASES,
    CONFIG_KEYS,
    DEFAULT_IMAGE,
    ConfigKey,
    ResolvedConfig,
    canonical_key,
    check_config_assignment,
    clear_config,
    load_global_config,
    resolve_config,
    set_config_value,
    unset_config_value,
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
from kanibako_paths.project import (
    Project,
    check_box_paths,
    project_at,
    project_hash,
    resolve_project,
    sha256_hex,
)
from kanibako_paths.tomlfile import read_toml, write_toml

if TYPE_CHECKING:
    from kanibako_paths.archive import (
        archive_project,
        default_archive_name,
        read_manifest,
        restore_project,
    )
    from kanibako_paths.boxes import BoxEntry, find_orphans, list_boxes, purge_project
    from kanibako_paths.envfile import (
        merged_env,
        parse_env_text,
        read_env_file,
        set_env_var,
        unset_env_var,
        validate_env_key,
        validate_env_value,
    )
    from kanibako_paths.project_init import ensure_initialized, init_local, init_project
    from kanibako_paths.shared_caches import (
        KNOWN_CACHES,
        SharedCache,
        agent_caches,
        global_caches,
        init_shared_cache,
    )
    from kanibako_paths.shell_skeleton import upgrade_shell, write_shell_skeleton
    from kanibako_paths.templates import apply_templates, resolve_template
    from kanibako_paths.transfer import transfer_project
    from kanibako_paths.workset_projects import add_to_workset, remove_from_workset
    from kanibako_paths.worksets import (
        Workset,
        WorksetMember,
        create_workset,
        delete_workset,
        list_worksets,
        load_workset,
        set_workset_auth,
    )

# module -> the public names it provides, loaded on first use (see __getattr__).
_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    "archive": ("archive_project", "default_archive_name", "read_manifest", "restore_project"),
    "boxes": ("BoxEntry", "find_orphans", "list_boxes", "purge_project"),
    "envfile": (
        "merged_env", "parse_env_text", "read_env_file", "set_env_var", "unset_env_var",
        "validate_env_key", "validate_env_value",
    ),
    "project_init": ("ensure_initialized", "init_local", "init_project"),
    "shared_caches": (
        "KNOWN_CACHES", "SharedCache", "agent_caches", "global_caches", "init_shared_cache",
    ),
    "shell_skeleton": ("upgrade_shell", "write_shell_skeleton"),
    "templates": ("apply_templates", "resolve_template"),
    "transfer": ("transfer_project",),
    "workset_projects": ("add_to_workset", "remove_from_workset"),
    "worksets": (
        "Workset", "WorksetMember", "create_workset", "delete_workset", "list_worksets",
        "load_workset", "set_workset_auth",
    ),
}  # fmt: skip
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kanibako_paths' has no attribute {name!r}")
    value = getattr(import_module(f"kanibako_paths.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ALIASES",
    "AUTH_MODES",
    "CONFIG_KEYS",
    "DEFAULT_IMAGE",
    "KNOWN_CACHES",
    "LAYOUTS",
    "SETTABLE_KEYS",
    "BoxEntry",
    "ConfigError",
    "ConfigKey",
    "EnvFileError",
    "KanibakoPaths",
    "KanibakoPathsError",
    "Project",
    "ProjectError",
    "ProjectMode",
    "ResolvedConfig",
    "SharedCache",
    "StateTransferError",
    "Workset",
    "WorksetError",
    "WorksetMember",
    "__version__",
    "add_to_workset",
    "agent_caches",
    "apply_templates",
    "archive_project",
    "atomic_file",
    "atomic_write_bytes",
    "atomic_write_text",
    "canonical_key",
    "check_box_paths",
    "check_config_assignment",
    "clear_config",
    "create_workset",
    "default_archive_name",
    "delete_workset",
    "ensure_initialized",
    "find_orphans",
    "global_caches",
    "init_local",
    "init_project",
    "init_shared_cache",
    "list_boxes",
    "list_worksets",
    "load_global_config",
    "load_paths",
    "load_workset",
    "merged_env",
    "parse_box_setting",
    "parse_env_text",
    "project_at",
    "project_hash",
    "purge_project",
    "read_env_file",
    "read_manifest",
    "read_toml",
    "remove_from_workset",
    "resolve_config",
    "resolve_project",
    "resolve_template",
    "restore_project",
    "set_config_value",
    "set_env_var",
    "set_workset_auth",
    "sha256_hex",
    "store_box_setting",
    "transfer_project",
    "unset_config_value",
    "unset_env_var",
    "upgrade_shell",
    "validate_env_key",
    "validate_env_value",
    "write_shell_skeleton",
    "write_toml",
]
