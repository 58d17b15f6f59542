"""Env files in Docker ``.env`` format: one ``KEY=VALUE`` a line, ``#`` comments.

Values are taken literally: no quotes removed, no ``$`` expansion, spaces kept.
The global file applies to every project; a project's own file overrides it.
"""

from __future__ import annotations

import re
from pathlib import Path

from kanibako_paths.atomic import atomic_write_text
from kanibako_paths.errors import EnvFileError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.project import Project
from kanibako_paths.regular_file import read_regular_file

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def validate_env_key(key: str) -> str:
    """``key`` if it is a valid variable name (letters, digits, ``_``; no leading digit)."""
    if not _KEY.fullmatch(key):
        raise EnvFileError(
            f"invalid env variable name {key!r} (letters, digits and '_', not starting with a digit)"
        )
    return key


def validate_env_value(key: str, value: str) -> str:
    """``value`` if one env-file line can hold it (no newline or NUL)."""
    if any(ch in value for ch in "\n\r\0"):
        raise EnvFileError(f"value of {key} cannot contain a newline or NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EnvFileError(f"value of {key} is not valid UTF-8 text") from None
    return value


def parse_env_text(text: str, source: str) -> dict[str, str]:
    """Parse env-file ``text``; errors name ``source`` and the line number."""
    env: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise EnvFileError(f"{source}:{number}: expected KEY=VALUE, got {raw.strip()!r}")
        key = key.rstrip()
        if not _KEY.fullmatch(key):
            raise EnvFileError(f"{source}:{number}: invalid env variable name {key!r}")
        env[key] = value
    return env


def read_env_file(path: Path) -> dict[str, str]:
    """The variables in ``path`` (empty when the file does not exist)."""
    try:
        data = read_regular_file(path, EnvFileError)
    except FileNotFoundError:
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvFileError(f"{path}: not UTF-8 text") from None
    return parse_env_text(text, str(path))


def set_env_var(path: Path, key: str, value: str) -> None:
    """Set ``key`` in ``path``, keeping every other line (and comment) as it was."""
    validate_env_key(key)
    validate_env_value(key, value)
    lines = _lines_checked(path)
    new_line = f"{key}={value}"
    replaced = False
    for index, line in enumerate(lines):
        if _line_key(line) == key:
            lines[index] = new_line
            replaced = True
    if not replaced:
        lines.append(new_line)
    atomic_write_text(path, "".join(f"{line}\n" for line in lines))


def unset_env_var(path: Path, key: str) -> bool:
    """Remove ``key`` from ``path``; whether it was there."""
    validate_env_key(key)
    lines = _lines_checked(path)
    kept = [line for line in lines if _line_key(line) != key]
    if len(kept) == len(lines):
        return False
    atomic_write_text(path, "".join(f"{line}\n" for line in kept))
    return True


def merged_env(paths: KanibakoPaths, project: Project) -> dict[str, str]:
    """The env for ``project``'s container: global file, overridden by the project's."""
    env = read_env_file(paths.global_env_file)
    env.update(read_env_file(project.env_file))
    return env


def _lines_checked(path: Path) -> list[str]:
    # Refuse to rewrite a file that is already malformed: the user must fix it.
    read_env_file(path)
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _line_key(line: str) -> str | None:
    stripped = line.lstrip()
    if not stripped or stripped.startswith("#") or "=" not in stripped:
        return None
    return stripped.partition("=")[0].rstrip()
