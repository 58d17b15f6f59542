"""A fast, read-only view of the ``kanibako.targets`` entry points on ``sys.path``.

``importlib.metadata`` answers the same question, but importing it (email,
zipfile, csv, inspect, ...) and parsing every distribution's metadata costs
more than the rest of the agent's launch preparation together. Every launch
asks, so this module reads only what it needs: the ``entry_points.txt`` of each
``*.dist-info`` / ``*.egg-info`` directory, first distribution of a name on
``sys.path`` winning, exactly as ``importlib.metadata`` resolves them (a test
checks the two agree).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

_SUFFIXES = (".dist-info", ".egg-info")
_ENTRY = re.compile(r"^(?P<module>[\w.]+)\s*(?::\s*(?P<attr>[\w.]+))?\s*(?:\[.*\])?\s*$")


@dataclass(frozen=True)
class PluginEntry:
    """One entry point of the group: ``name = value``, from distribution ``dist``."""

    name: str
    value: str
    dist: str
    version: str
    metadata_dir: Path

    def distribution(self) -> str:
        """``Name Version`` as the distribution spells it (read only for messages)."""
        for file in ("METADATA", "PKG-INFO"):
            try:
                with (self.metadata_dir / file).open(encoding="utf-8") as handle:
                    headers = dict(
                        line.split(": ", 1)
                        for line in handle.read(4096).splitlines()
                        if ": " in line
                    )
                return f"{headers.get('Name', self.dist)} {headers.get('Version', self.version)}"
            except OSError:
                continue
        return f"{self.dist} {self.version}"

    def load(self) -> object:
        """Import the module and fetch the attribute the entry point names."""
        match = _ENTRY.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        loaded: object = importlib.import_module(match["module"])
        for part in (match["attr"] or "").split(".") if match["attr"] else ():
            loaded = getattr(loaded, part)
        return loaded


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _split_dir_name(dirname: str) -> tuple[str, str]:
    stem = dirname.rsplit(".", 1)[0]
    name, _, version = stem.partition("-")
    return name, version.split("-")[0]


def _section(text: str, group: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            inside = line == f"[{group}]"
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            entries.append((name.strip(), value.strip()))
    return entries


def _metadata_dirs(entry: str) -> list[str]:
    try:
        with os.scandir(entry or ".") as found:
            return sorted(e.name for e in found if e.name.endswith(_SUFFIXES) and e.is_dir())
    except OSError:  # not a directory (a zip file, a vanished path): nothing installed here
        return []


def scan(group: str, path: list[str] | None = None) -> list[PluginEntry]:
    """Every entry point of ``group`` from the distributions on ``path`` (``sys.path``)."""
    seen: set[str] = set()
    entries: list[PluginEntry] = []
    for directory in sys.path if path is None else path:
        for dirname in _metadata_dirs(directory):
            name, version = _split_dir_name(dirname)
            key = _normalize(name)
            if key in seen:
                continue
            seen.add(key)
            metadata_dir = Path(directory or ".", dirname)
            try:
                text = (metadata_dir / "entry_points.txt").read_text(encoding="utf-8")
            except OSError:
                continue
            if f"[{group}]" not in text:
                continue
            entries.extend(
                PluginEntry(ep_name, value, name, version, metadata_dir)
                for ep_name, value in _section(text, group)
            )
    return entries
