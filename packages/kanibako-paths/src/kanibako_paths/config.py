"""Configuration keys and their precedence: CLI flag > project.toml > kanibako.toml > defaults.

Keys are spelled ``{table}_{field}`` after the TOML table holding them:
``container_image`` is ``[container] image``, ``paths_data_path`` is
``[paths] data_path``. Keys under ``paths_`` shape where all projects live, and
``image_mirror`` / ``image_security_mirror`` (``[image] mirror``, the Debian
mirror images are bootstrapped from) serve every project's images, so only the
global file may set them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanibako_paths.errors import ConfigError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.project import Project
from kanibako_paths.tomlfile import read_toml, table_at, write_toml

DEFAULT_IMAGE = "ghcr.io/doctorjei/kanibako-base:latest"


@dataclass(frozen=True)
class ConfigKey:
    """One configuration key: where it is stored, its default and who may set it."""

    name: str
    table: str
    field: str
    default: str
    description: str
    global_only: bool = False


def _key(name: str, default: str, description: str, *, global_only: bool = False) -> ConfigKey:
    table, _, field = name.partition("_")
    return ConfigKey(name, table, field, default, description, global_only)


CONFIG_KEYS: dict[str, ConfigKey] = {
    k.name: k
    for k in (
        _key("container_image", DEFAULT_IMAGE, "Container image"),
        _key("container_engine", "", "Container engine: podman, docker, or auto-detect"),
        _key("target_name", "", "Agent target plugin (auto-detect; falls back to no_agent)"),
        _key("network_mode", "allowlist", "Egress: allowlist (the default), open or none"),
        _key(
            "session_keep_warm",
            "900",
            "Seconds a standby container waits for the next launch (0: none)",
        ),
        _key("paths_data_path", "", "Override the data directory root", global_only=True),
        _key("paths_boxes", "boxes", "Project state subdirectory", global_only=True),
        _key("paths_agents", "agents", "Agent TOML subdirectory", global_only=True),
        _key("paths_shared", "shared", "Shared caches subdirectory", global_only=True),
        _key("paths_templates", "templates", "Shell templates subdirectory", global_only=True),
        # Where kanibako-base's Debian is bootstrapped from when no registry is
        # reachable; empty: the host's apt sources, else deb.debian.org.
        _key("image_mirror", "", "Debian mirror URL for bootstrapping images", global_only=True),
        _key(
            "image_security_mirror",
            "",
            "Debian security mirror URL (used with image_mirror)",
            global_only=True,
        ),
        _key("vault_compression", "zstd", "Compression of new vault snapshots: zstd, xz or none"),
        _key("vault_keep", "10", "Vault snapshots kept after each launch and by gc (0 keeps all)"),
    )
}

# Short names people type (the spec's example is `kanibako config image`).
ALIASES: dict[str, str] = {
    "image": "container_image",
    "engine": "container_engine",
    "target": "target_name",
    "network": "network_mode",
    "keep_warm": "session_keep_warm",
    "data_path": "paths_data_path",
    "mirror": "image_mirror",
    "security_mirror": "image_security_mirror",
}

ENGINES = ("", "podman", "docker")
VAULT_COMPRESSIONS = ("zstd", "xz", "none")
NETWORK_MODES = ("allowlist", "open", "none")
_MIRROR_URL = re.compile(r"(https?|file)://\S+")
_TARGET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


@dataclass(frozen=True)
class ResolvedConfig:
    """Every key's effective value and where it came from (cli/project/global/default)."""

    values: dict[str, str]
    sources: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values[canonical_key(key)]

    @property
    def container_image(self) -> str:
        """The image to run."""
        return self.values["container_image"]

    @property
    def target_name(self) -> str:
        """The chosen target plugin, or ``""`` to auto-detect."""
        return self.values["target_name"]

    @property
    def container_engine(self) -> str:
        """The chosen engine, or ``""`` to auto-detect."""
        return self.values["container_engine"]

    def vault_retention(self) -> tuple[str, int | None]:
        """(compression, snapshots to keep or None for all) for pre-launch snapshots.

        Values from the files are checked here, so a typo is one clear error at launch.
        """
        for key in ("vault_compression", "vault_keep"):
            where = f"{key} (from {self.sources[key]})"
            try:
                validate_config_value(key, self.values[key])
            except ConfigError as exc:
                raise ConfigError(str(exc).replace(f"config key {key}", where)) from None
        keep = int(self.values["vault_keep"])
        return self.values["vault_compression"], keep or None


def canonical_key(key: str) -> str:
    """The full name of ``key`` (aliases resolved); an error naming it when unknown."""
    name = ALIASES.get(key, key)
    if name not in CONFIG_KEYS:
        known = ", ".join([*CONFIG_KEYS, *ALIASES])
        raise ConfigError(f"unknown config key {key!r} (known: {known})")
    return name


def validate_config_value(key: str, value: str) -> str:
    """``value`` if it is acceptable for ``key`` (which must be canonical)."""
    if key == "container_image" and (not value or any(ch.isspace() for ch in value)):
        raise ConfigError(f"config key {key}: an image name has no spaces and is not empty")
    if key == "container_engine" and value not in ENGINES:
        raise ConfigError(f"config key {key} must be podman, docker or empty, not {value!r}")
    if key == "network_mode" and value not in NETWORK_MODES:
        raise ConfigError(f"config key {key} must be allowlist, open or none, not {value!r}")
    if key == "session_keep_warm" and not (value.isascii() and value.isdigit()):
        raise ConfigError(f"config key {key} must be a whole number of seconds >= 0, not {value!r}")
    if key == "target_name" and not set(value) <= _TARGET_CHARS:
        raise ConfigError(f"config key {key}: invalid target name {value!r}")
    if key == "paths_data_path" and value and not Path(value).expanduser().is_absolute():
        raise ConfigError(f"config key {key} must be an absolute path, not {value!r}")
    if key.startswith("paths_") and key != "paths_data_path" and (not value or ".." in value):
        raise ConfigError(f"config key {key}: invalid directory name {value!r}")
    if key == "vault_compression" and value not in VAULT_COMPRESSIONS:
        raise ConfigError(f"config key {key} must be zstd, xz or none, not {value!r}")
    if key == "vault_keep" and not (value.isascii() and value.isdigit()):
        raise ConfigError(f"config key {key} must be a whole number (0 keeps all), not {value!r}")
    if key.startswith("image_") and not _MIRROR_URL.fullmatch(value):
        raise ConfigError(f"config key {key} must be an http(s):// or file:// URL, not {value!r}")
    return value


def _lookup(table: dict[str, Any], key: ConfigKey, source: Path) -> str | None:
    section = table_at(table, key.table, source)
    value = section.get(key.field)
    if value is None:
        return None
    if key.name == "vault_keep" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # `keep = 5` in TOML reads as naturally as `keep = "5"`
    if not isinstance(value, str):
        raise ConfigError(f"{source}: [{key.table}] {key.field} must be a string")
    return value


def load_global_config(paths: KanibakoPaths) -> dict[str, Any]:
    """The parsed global ``kanibako.toml`` (empty when it does not exist)."""
    return read_toml(paths.config_file)


def resolve_config(
    paths: KanibakoPaths,
    project: Project | None = None,
    cli: Mapping[str, str | None] | None = None,
) -> ResolvedConfig:
    """Each key's value by precedence: ``cli`` > project.toml > kanibako.toml > default."""
    global_table = load_global_config(paths)
    project_table = read_toml(project.project_config_file) if project else {}
    given = {canonical_key(k): v for k, v in (cli or {}).items() if v is not None}
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, key in CONFIG_KEYS.items():
        project_value = (
            None if key.global_only or project is None
            else _lookup(project_table, key, project.project_config_file)
        )  # fmt: skip
        for source, value in (
            ("cli", given.get(name)),
            ("project", project_value),
            ("global", _lookup(global_table, key, paths.config_file)),
            ("default", key.default),
        ):
            if value is not None:
                values[name], sources[name] = value, source
                break
    return ResolvedConfig(values, sources)


def _update(file: Path, change: Callable[[dict[str, Any]], None]) -> None:
    table = read_toml(file)
    change(table)
    write_toml(file, table)


def check_config_assignment(key: str, value: str, *, is_global: bool) -> str:
    """The canonical name of ``key`` if ``key = value`` may be stored (global or project)."""
    name = canonical_key(key)
    if CONFIG_KEYS[name].global_only and not is_global:
        raise ConfigError(f"config key {name} applies to every project; set it with --global")
    validate_config_value(name, value)
    return name


def set_config_value(target: Path, key: str, value: str, *, is_global: bool) -> str:
    """Store ``key = value`` in ``target`` (a project.toml, or the global file)."""
    name = check_config_assignment(key, value, is_global=is_global)
    spec = CONFIG_KEYS[name]

    def change(table: dict[str, Any]) -> None:
        table_at(table, spec.table, target)
        table.setdefault(spec.table, {})[spec.field] = value

    _update(target, change)
    return name


def unset_config_value(target: Path, key: str) -> bool:
    """Remove ``key`` from ``target``; whether it was there."""
    spec = CONFIG_KEYS[canonical_key(key)]
    table = read_toml(target)
    section = table_at(table, spec.table, target)
    if spec.field not in section:
        return False
    del section[spec.field]
    if not section:
        del table[spec.table]
    write_toml(target, table)
    return True


def clear_config(target: Path, *, is_global: bool) -> list[str]:
    """Remove every config key stored in ``target``; the names removed."""
    table = read_toml(target)
    removed = []
    for name, spec in CONFIG_KEYS.items():
        if spec.global_only and not is_global:
            continue
        section = table_at(table, spec.table, target)
        if spec.field in section:
            del section[spec.field]
            removed.append(name)
            if not section:
                del table[spec.table]
    if removed:
        write_toml(target, table)
    return removed
