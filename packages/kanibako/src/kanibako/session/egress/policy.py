"""Which destinations a session may reach: rules from four places, re-read live.

Scopes are searched from the most specific: the project's entries, then the
global ones, then the built-in ones (the target's own hosts and the default
registry presets). Within a scope a deny wins over an allow; the first scope
with a matching rule decides, so a project may allow what the global file
denies and deny what is built in. No matching rule: denied.

A name is checked before it is resolved (a denied name is never looked up),
and its addresses after: one that is loopback, private, link-local or a
metadata service is used only when that exact ``IP:port`` is allowed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kanibako.session.egress.config_entries import ScopeEntries, read_entries
from kanibako.session.egress.destinations import (
    Destination,
    DestinationError,
    IPAddress,
    format_destination,
    is_internal,
    parse_destination,
)
from kanibako.session.egress.presets import DEFAULT_PRESETS, preset_hosts

Verdict = Literal["allow", "deny"]
SCOPES = ("project", "global", "builtin")


@dataclass(frozen=True)
class Rule:
    """One expanded entry with where it came from (``project``, ``@pypi (global)`` ...)."""

    destination: Destination
    verdict: Verdict
    scope: str
    source: str

    def matches(self, host: str, port: int, *, tunnel: bool) -> bool:
        if not self.destination.matches_host(host):
            return False
        if self.verdict == "deny" and self.destination.port is None:
            return True  # a deny without a port closes every port
        return self.destination.allows_port(port, tunnel=tunnel)


@dataclass(frozen=True)
class Decision:
    """The verdict on one request, the address to dial, and what the user can do about it."""

    verdict: Verdict
    destination: str
    reason: str = ""
    address: IPAddress | None = None

    @property
    def allow_command(self) -> str:
        return f"kanibako net allow {self.destination}"


def expand(entry: str, verdict: Verdict, scope: str, source: str) -> list[Rule]:
    """``entry`` (a DEST or ``@preset``) as rules."""
    if entry.startswith("@"):
        return [
            Rule(parse_destination(host), verdict, scope, f"{entry} ({source})")
            for host in preset_hosts(entry)
        ]
    return [Rule(parse_destination(entry), verdict, scope, source)]


def builtin_rules(target_name: str, target_hosts: Iterable[str]) -> list[Rule]:
    """The target's own hosts, then the default presets."""
    rules = [
        r for h in target_hosts for r in expand(h, "allow", "builtin", f"target {target_name}")
    ]
    for preset in DEFAULT_PRESETS:
        rules += expand(f"@{preset}", "allow", "builtin", "default")
    return rules


def scope_rules(scope: str, entries: ScopeEntries) -> list[Rule]:
    """One file's rules, denies first."""
    rules = [r for e in entries.deny for r in expand(e, "deny", scope, scope)]
    return rules + [r for e in entries.allow for r in expand(e, "allow", scope, scope)]


def first_match(rules: Sequence[Rule], host: str, port: int, *, tunnel: bool) -> Rule | None:
    """The deciding rule for ``host:port`` (``rules`` ordered project, global, builtin)."""
    for scope in SCOPES:
        scoped = [r for r in rules if r.scope == scope]
        for rule in scoped:  # denies come first within a scope
            if rule.matches(host, port, tunnel=tunnel):
                return rule
    return None


def _exactly_allowed(rules: Sequence[Rule], address: IPAddress, port: int) -> bool:
    """An internal address needs an allow of that exact IP:port (and no deny before it)."""
    rule = first_match(rules, str(address), port, tunnel=True)
    if rule is None or rule.verdict == "deny":
        return False
    exact = Destination(str(address), port)
    return any(r.verdict == "allow" and r.destination == exact for r in rules)


class Policy:
    """The live rule set of one session: the files are re-read when they change.

    Each check stats the two files (microseconds), so ``kanibako net allow``
    reaches a running session on its next request.
    """

    def __init__(
        self, builtin: Sequence[Rule], files: Sequence[tuple[str, Path]], *, reload: bool = True
    ) -> None:
        self._builtin = list(builtin)
        self._files = list(files)
        self._reload = reload
        self._lock = threading.Lock()
        self._stamps: tuple[object, ...] = ()
        self._rules: list[Rule] = []
        self.last_error = ""
        self.rules(strict=True)

    def rules(self, *, strict: bool = False) -> list[Rule]:
        """The current rules; a file broken mid-session keeps the last good rules."""
        with self._lock:
            stamps = tuple(_stamp(path) for _, path in self._files)
            if self._rules and (stamps == self._stamps or not self._reload):
                return self._rules
            try:
                rules = [r for s, p in self._files for r in scope_rules(s, read_entries(p))]
            except (DestinationError, OSError, ValueError) as exc:
                if strict:
                    raise
                self.last_error = str(exc)
                self._stamps = stamps
                return self._rules
            self._rules, self._stamps, self.last_error = rules + self._builtin, stamps, ""
            return self._rules

    def check_name(self, host: str, port: int, *, tunnel: bool) -> Decision | None:
        """A denial before resolution, or None when ``host`` may be resolved and checked."""
        rules = self.rules()
        rule = first_match(rules, host, port, tunnel=tunnel)
        default_port = 443 if tunnel else 80
        wanted = format_destination(host, None if port == default_port else port)
        if rule is None:
            return Decision("deny", wanted, "not on the allowlist")
        if rule.verdict == "deny":
            return Decision("deny", wanted, f"denied by {rule.source}")
        return None

    def check_addresses(self, host: str, port: int, addresses: Sequence[IPAddress]) -> Decision:
        """After resolution: the first address the rules let this session dial."""
        rules = self.rules()
        default = format_destination(host, port if port not in (80, 443) else None)
        for address in addresses:
            if not is_internal(address) or _exactly_allowed(rules, address, port):
                return Decision("allow", default, address=address)
        if not addresses:
            return Decision("deny", default, "the name does not resolve")
        internal = format_destination(str(addresses[0]), port)
        return Decision("deny", internal, f"{host} resolves to the internal address {addresses[0]}")


def _stamp(path: Path) -> object:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)
