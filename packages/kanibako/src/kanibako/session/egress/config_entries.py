"""The user's entries: ``[network] allow`` / ``deny`` lists in project.toml and kanibako.toml.

Written atomically by ``kanibako net allow/deny``; read by ``net list`` and,
live, by a running session's proxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kanibako.session.egress.destinations import DestinationError, parse_destination
from kanibako.session.egress.presets import preset_hosts

TABLE = "network"
Kind = Literal["allow", "deny"]


@dataclass(frozen=True)
class ScopeEntries:
    """One file's lists, as written (presets unexpanded)."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


def check_entry(text: str) -> str:
    """``text`` if it is a valid DEST or known ``@preset`` (raises DestinationError)."""
    if text.startswith("@"):
        preset_hosts(text)
    else:
        parse_destination(text)
    return text


def _string_list(section: dict[str, Any], kind: Kind, source: Path) -> tuple[str, ...]:
    value = section.get(kind, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DestinationError(f"{source}: [{TABLE}] {kind} must be a list of strings")
    for entry in value:
        try:
            check_entry(entry)
        except DestinationError as exc:
            raise DestinationError(f"{source}: [{TABLE}] {kind}: {exc}") from None
    return tuple(value)


def read_entries(path: Path) -> ScopeEntries:
    """The ``[network]`` lists of ``path`` (empty when the file or table is missing)."""
    from kanibako_paths import read_toml
    from kanibako_paths.tomlfile import table_at

    section = table_at(read_toml(path), TABLE, path)
    return ScopeEntries(_string_list(section, "allow", path), _string_list(section, "deny", path))


def record(path: Path, kind: Kind, entry: str) -> bool:
    """Put ``entry`` in ``path``'s ``kind`` list and out of the other one; False if no change."""
    from kanibako_paths import read_toml, write_toml
    from kanibako_paths.tomlfile import table_at

    check_entry(entry)
    table = read_toml(path)
    section = table_at(table, TABLE, path)
    current = read_entries(path)
    other: Kind = "deny" if kind == "allow" else "allow"
    mine = [e for e in getattr(current, kind) if e != entry] + [entry]
    theirs = [e for e in getattr(current, other) if e != entry]
    if list(getattr(current, kind)) == mine and list(getattr(current, other)) == theirs:
        return False
    section[kind], section[other] = mine, theirs
    table[TABLE] = {k: v for k, v in section.items() if v != []}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_toml(path, table)
    return True
