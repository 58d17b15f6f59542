"""Which Debian package mirror to bootstrap kanibako-base from.

In order: ``[image] mirror`` (and optionally ``[image] security_mirror``) in
kanibako.toml; else the Debian entries of the host's apt configuration (an
air-gapped machine's apt already points at its local mirror); else
deb.debian.org.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanibako.images.errors import ImageError

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
CONFIG_TABLE = "image"
CONFIG_KEY = "mirror"
SECURITY_KEY = "security_mirror"
_URI = re.compile(r"(https?|file)://\S+")


@dataclass(frozen=True)
class DebianMirror:
    """Where bookworm's packages come from, and what said so."""

    archive: str
    suites: tuple[str, ...] = (SUITE,)
    security: str | None = None
    source: str = "default"

    def sources_text(self) -> str:
        """An apt deb822 sources file with these entries (for the bootstrapped image)."""
        stanzas = [
            f"Types: deb\nURIs: {self.archive}\nSuites: {' '.join(self.suites)}\nComponents: main\n"
        ]
        if self.security:
            stanzas.append(
                f"Types: deb\nURIs: {self.security}\nSuites: {SUITE}-security\nComponents: main\n"
            )
        return "\n".join(stanzas)


@dataclass(frozen=True)
class AptEntry:
    """One ``deb`` source of the host: a URI and its suites."""

    uri: str
    suites: tuple[str, ...]


def find_mirror(
    config: Mapping[str, Any], config_file: Path, *, apt_dir: Path = Path("/etc/apt")
) -> DebianMirror:
    """The mirror to use: kanibako.toml, else the host's apt sources, else deb.debian.org."""
    table = config.get(CONFIG_TABLE, {})
    if not isinstance(table, Mapping):
        raise ImageError(f"{config_file}: [{CONFIG_TABLE}] must be a table")
    configured = table.get(CONFIG_KEY)
    if configured is not None:
        security = table.get(SECURITY_KEY)
        for key, value in ((CONFIG_KEY, configured), (SECURITY_KEY, security)):
            if value is not None and not (isinstance(value, str) and _URI.fullmatch(value)):
                raise ImageError(
                    f"{config_file}: [{CONFIG_TABLE}] {key} must be an http(s):// or file:// URL"
                )
        return DebianMirror(
            archive=str(configured).rstrip("/"),
            security=str(security).rstrip("/") if security else None,
            source=f"{config_file} [{CONFIG_TABLE}] {CONFIG_KEY}",
        )
    host = mirror_from_apt(apt_entries(apt_dir))
    return host if host is not None else DebianMirror(DEFAULT_MIRROR)


def mirror_from_apt(entries: list[AptEntry]) -> DebianMirror | None:
    """The host's Debian archive (and security) mirror, with bookworm's suite names."""
    archive: AptEntry | None = None
    security: AptEntry | None = None
    for entry in entries:
        if "debian" not in entry.uri or "ubuntu" in entry.uri:
            continue
        if "security" in entry.uri or any(s.endswith("-security") for s in entry.suites):
            security = security or entry
        elif archive is None:
            archive = entry
    if archive is None:
        return None
    # Keep the host's choice of the -updates suite, named for bookworm (the host
    # may run another release from the same mirror).
    suites = [SUITE]
    if any(s.endswith("-updates") for s in archive.suites):
        suites.append(f"{SUITE}-updates")
    return DebianMirror(
        archive=archive.uri.rstrip("/"),
        suites=tuple(suites),
        security=security.uri.rstrip("/") if security else None,
        source="the host's apt sources",
    )


def apt_entries(apt_dir: Path) -> list[AptEntry]:
    """Every enabled ``deb`` entry of the host's apt configuration, in apt's order."""
    files: list[Path] = []
    if (apt_dir / "sources.list").is_file():
        files.append(apt_dir / "sources.list")
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        files.extend(sorted(p for p in parts.iterdir() if p.suffix in (".list", ".sources")))
    entries: list[AptEntry] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # an unreadable file is apt's problem, not a reason to fail here
        parse = parse_deb822 if path.suffix == ".sources" else parse_one_line
        entries.extend(parse(text))
    return entries


def parse_one_line(text: str) -> list[AptEntry]:
    """``deb [options] URI SUITE COMPONENT...`` lines (``deb-src`` and comments skipped)."""
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        line = re.sub(r"\[[^\]]*\]", " ", line[4:])
        words = line.split()
        if len(words) >= 2 and _URI.fullmatch(words[0]):
            found.append(AptEntry(words[0], (words[1],)))
    return found


def parse_deb822(text: str) -> list[AptEntry]:
    """Stanzas of ``Types:``, ``URIs:``, ``Suites:`` (``Enabled: no`` skipped)."""
    found = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.startswith("#") or ":" not in raw or raw[:1].isspace():
                continue
            key, _, value = raw.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        for uri in fields.get("uris", "").split():
            if _URI.fullmatch(uri) and suites:
                found.append(AptEntry(uri, suites))
    return found
