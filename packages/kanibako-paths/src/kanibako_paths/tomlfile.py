"""Reading and writing TOML files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kanibako_paths.atomic import atomic_write_bytes
from kanibako_paths.errors import ConfigError
from kanibako_paths.regular_file import read_regular_file


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed table in ``path``; an empty table when the file does not exist."""
    try:
        data = read_regular_file(path, ConfigError)
    except FileNotFoundError:
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

    text = tomli_w.dumps(table)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # A value from the command line holding bytes that are not UTF-8.
        start = text.rfind("\n", 0, exc.start) + 1
        end = text.find("\n", exc.start)
        line = text[start : end if end != -1 else len(text)]
        shown = line.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise ConfigError(f"{path}: cannot write {shown}: not valid UTF-8 text") from None
    atomic_write_bytes(path, data)


def table_at(table: dict[str, Any], key: str, source: Path) -> dict[str, Any]:
    """``table[key]`` as a table (empty when missing); a non-table value is an error."""
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{key}] must be a table")
    return value
