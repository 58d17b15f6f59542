"""Per-project settings stored in the ``[box]`` table of ``project.toml``.

The spec's "Project settings": ``shell``, ``vault_ro``, ``vault_rw``,
``layout``, ``vault_enabled`` and ``auth`` can be set; the rest is derived.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kanibako_paths.errors import ConfigError

BOX_TABLE = "box"
SETTABLE_KEYS: tuple[str, ...] = (
    "shell",
    "vault_ro",
    "vault_rw",
    "layout",
    "vault_enabled",
    "auth",
)
LAYOUTS: tuple[str, ...] = ("simple", "default", "robust")
AUTH_MODES: tuple[str, ...] = ("shared", "distinct")
_PATH_KEYS = ("shell", "vault_ro", "vault_rw")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_box_setting(key: str, text: str) -> str | bool:
    """Validate a value given on the command line; return what ``project.toml`` stores."""
    if key not in SETTABLE_KEYS:
        raise ConfigError(f"unknown box setting {key!r} (settable: {', '.join(SETTABLE_KEYS)})")
    if key == "vault_enabled":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"box setting vault_enabled must be true or false, not {text!r}")
    value = _check(key, text, where=f"box setting {key}")
    if key in _PATH_KEYS and Path(value).exists() and not Path(value).is_dir():
        # Accepting it would only fail later, far from the cause ("Not a
        # directory: /bin/sh/.shell.d" at the next env set or launch).
        raise ConfigError(f"box setting {key} must be a directory, but {value} is a file")
    return value


def validated_box_table(table: dict[str, Any], source: Path) -> dict[str, str | bool]:
    """The ``[box]`` table of ``source`` with every value checked (errors name file and key)."""
    checked: dict[str, str | bool] = {}
    for key, value in table.items():
        where = f"{source}: [box] {key}"
        if key not in SETTABLE_KEYS:
            raise ConfigError(f"{where}: unknown setting")
        if key == "vault_enabled":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false")
            checked[key] = value
            continue
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string")
        checked[key] = _check(key, value, where=where)
    return checked


def _check(key: str, value: str, *, where: str) -> str:
    if key in _PATH_KEYS:
        if not Path(value).is_absolute():
            raise ConfigError(f"{where} must be an absolute path, not {value!r}")
        return str(Path(value))
    choices = LAYOUTS if key == "layout" else AUTH_MODES
    if value not in choices:
        raise ConfigError(f"{where} must be one of {', '.join(choices)}, not {value!r}")
    return value


def store_box_setting(project_file: Path, key: str, value: str | bool | None) -> None:
    """Write (or with ``None`` remove) ``[box] key`` in ``project_file``, atomically."""
    from kanibako_paths.tomlfile import read_toml, table_at, write_toml

    if key not in SETTABLE_KEYS:
        raise ConfigError(f"unknown box setting {key!r} (settable: {', '.join(SETTABLE_KEYS)})")
    table = read_toml(project_file)
    box = table_at(table, BOX_TABLE, project_file)
    if value is None:
        box.pop(key, None)
    else:
        box[key] = value
    table[BOX_TABLE] = box
    write_toml(project_file, table)
