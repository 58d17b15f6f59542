"""Podman's configuration files as Podman reads them, and one-line edits to them.

Podman merges ``containers.conf`` key by key: the distribution's file, the
admin's, its drop-in directory, then (rootless) the user's; ``CONTAINERS_CONF``
replaces the whole chain with one file. ``storage.conf`` is a single file:
``CONTAINERS_STORAGE_CONF``, else the user's (rootless), else the system's.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kanibako.doctor.model import ConfEdit

SYSTEM_CONF = Path("/etc/containers/containers.conf")
SYSTEM_STORAGE = Path("/etc/containers/storage.conf")
_DISTRIBUTION_CONF = Path("/usr/share/containers/containers.conf")


def _user_config_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "containers"


def _read(path: Path) -> dict[str, Any]:
    """A TOML file's tables; an unreadable or malformed file counts as empty (Podman says why)."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def conf_files(env: Mapping[str, str], rootless: bool) -> list[Path]:
    """The ``containers.conf`` files Podman reads, lowest precedence first."""
    if env.get("CONTAINERS_CONF"):
        chain = [Path(env["CONTAINERS_CONF"])]
    else:
        chain = [_DISTRIBUTION_CONF, SYSTEM_CONF]
        chain += sorted(Path("/etc/containers/containers.conf.d").glob("*.conf"))
        if rootless:
            user = _user_config_dir(env)
            chain += [
                user / "containers.conf",
                *sorted((user / "containers.conf.d").glob("*.conf")),
            ]
    if env.get("CONTAINERS_CONF_OVERRIDE"):
        chain.append(Path(env["CONTAINERS_CONF_OVERRIDE"]))
    return chain


def merged_conf(env: Mapping[str, str], rootless: bool) -> dict[str, dict[str, Any]]:
    """Every table of the ``containers.conf`` chain, later files winning key by key."""
    merged: dict[str, dict[str, Any]] = {}
    for path in conf_files(env, rootless):
        for table, values in _read(path).items():
            if isinstance(values, dict):
                merged.setdefault(table, {}).update(values)
    return merged


def conf_to_edit(env: Mapping[str, str], rootless: bool) -> tuple[Path, bool]:
    """The ``containers.conf`` a fix for this user goes into, and whether it is a system file."""
    if env.get("CONTAINERS_CONF"):
        return Path(env["CONTAINERS_CONF"]), False
    if rootless:
        return _user_config_dir(env) / "containers.conf", False
    return SYSTEM_CONF, True


def storage_to_edit(env: Mapping[str, str], rootless: bool) -> tuple[Path, bool]:
    """The ``storage.conf`` Podman reads for this user, and whether it is a system file."""
    if env.get("CONTAINERS_STORAGE_CONF"):
        return Path(env["CONTAINERS_STORAGE_CONF"]), False
    if rootless:
        return _user_config_dir(env) / "storage.conf", False
    return SYSTEM_STORAGE, True


def edited_text(text: str, edit: ConfEdit) -> str:
    """``text`` with ``edit.key`` set under ``[edit.table]``: replaced, else added.

    Only the one line changes; comments and the rest of the file stay as the
    admin wrote them.
    """
    lines = text.splitlines()
    header = f"[{edit.table}]"
    new_line = f"{edit.key} = {edit.value}"
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        block = ([""] if lines and lines[-1].strip() else []) + [header, new_line]
        return "\n".join([*lines, *block]) + "\n"
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines)
    )
    for i in range(start + 1, end):
        name = lines[i].split("=", 1)[0].strip()
        if "=" in lines[i] and name == edit.key and not lines[i].lstrip().startswith("#"):
            last = i
            value = lines[i].split("=", 1)[1].strip()
            if value.startswith("[") and "]" not in value:  # an array over several lines
                last = next((j for j in range(i + 1, end) if "]" in lines[j]), i)
            lines[i : last + 1] = [new_line]
            return "\n".join(lines) + "\n"
    lines.insert(start + 1, new_line)
    return "\n".join(lines) + "\n"


def apply_edit(edit: ConfEdit) -> None:
    """Write ``edit`` into its file atomically (a temporary name, fsync, rename)."""
    try:
        text = edit.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    new = edited_text(text, edit)
    edit.path.parent.mkdir(parents=True, exist_ok=True)
    temporary = edit.path.with_name(f".{edit.path.name}.kanibako-{os.getpid()}")
    with temporary.open("w", encoding="utf-8") as file:
        file.write(new)
        file.flush()
        os.fsync(file.fileno())
    if edit.path.exists():
        temporary.chmod(edit.path.stat().st_mode & 0o7777)
    temporary.replace(edit.path)
