"""Reading and writing TOML files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kanibako_paths.atomic import atomic_write_bytes
from kanibako_paths.errors import ConfigError
from kanibako_paths.regular_file import read_regular_file


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed table in ``path``; an empty table when the file does not exist."""
    data = read_regular_file(path, ConfigError)
    if data is None:
        return {}
    import tomllib  # only when there is a file to parse

    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already says "(at line N, column M)".
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None


def write_toml(path: Path, table: dict[str, Any]) -> None:
    """Write ``table`` to ``path`` atomically."""
    import tomli_w  # only writers pay for it; `status` never writes

    atomic_write_bytes(path, tomli_w.dumps(table).encode("utf-8"))


def table_at(table: dict[str, Any], key: str, source: Path) -> dict[str, Any]:
    """``table[key]`` as a table (empty when missing); a non-table value is an error."""
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{key}] must be a table")
    return value
