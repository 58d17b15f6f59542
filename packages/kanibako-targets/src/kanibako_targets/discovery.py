"""Finding target plugins through the ``kanibako.targets`` entry-point group.

The built-in targets register there too (see this package's pyproject.toml),
so a third-party plugin is found exactly like Claude Code is.
"""

from __future__ import annotations

from dataclasses import dataclass

from kanibako_targets.errors import PluginLoadError, UnknownTargetError
from kanibako_targets.host import HostEnvironment
from kanibako_targets.no_agent import NO_AGENT
from kanibako_targets.plugin_index import PluginEntry, scan
from kanibako_targets.target import Target
from kanibako_targets.values import AgentInstall

ENTRY_POINT_GROUP = "kanibako.targets"
# Auto-detection tries the built-in agent first, then plugins by name.
PREFERRED = ("claude",)


def _distribution(entry: PluginEntry) -> str:
    return entry.distribution()


def _entry_points() -> dict[str, PluginEntry]:
    found: dict[str, PluginEntry] = {}
    for entry in scan(ENTRY_POINT_GROUP):
        other = found.get(entry.name)
        if other is not None and other.value != entry.value:
            raise PluginLoadError(
                f"target {entry.name!r} is registered twice: by {_distribution(other)} "
                f"and by {_distribution(entry)}; uninstall one"
            )
        found[entry.name] = entry
    return found


def target_names() -> list[str]:
    """Every registered target name (nothing is imported)."""
    return sorted(_entry_points())


def load_entry_point(entry: PluginEntry) -> type[Target]:
    """Import one entry point and check that it is a ``Target`` subclass."""
    where = f"target plugin {entry.name!r} ({entry.value}) from {_distribution(entry)}"
    try:
        loaded = entry.load()
    except Exception as exc:  # a plugin's import can fail in any way
        raise PluginLoadError(f"{where} failed to load: {type(exc).__name__}: {exc}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Target)):
        raise PluginLoadError(f"{where} is not a subclass of kanibako_targets.Target")
    if getattr(loaded, "name", None) != entry.name:
        raise PluginLoadError(
            f"{where} declares name {getattr(loaded, 'name', None)!r}; "
            f"it must match the entry-point name"
        )
    return loaded


def load_target_class(name: str, entries: dict[str, PluginEntry] | None = None) -> type[Target]:
    """The target class registered as ``name`` (among ``entries``, else those installed)."""
    entries = _entry_points() if entries is None else entries
    entry = entries.get(name)
    if entry is None:
        known = ", ".join(sorted(entries)) or "none"
        raise UnknownTargetError(f"unknown target {name!r} (installed: {known})")
    return load_entry_point(entry)


@dataclass(frozen=True)
class ResolvedTarget:
    """The target to launch with, and its install on the host (None: not found)."""

    target: Target
    install: AgentInstall | None


def _detection_order(names: list[str]) -> list[str]:
    first = [n for n in PREFERRED if n in names]
    rest = sorted(n for n in names if n not in PREFERRED and n != NO_AGENT)
    return first + rest


def resolve_target(name: str | None, host: HostEnvironment | None = None) -> ResolvedTarget:
    """The named target, or the first one detected on the host, else ``no_agent``.

    A named target that is not installed on the host comes back with
    ``install=None``: the caller decides whether that is an error.
    """
    host = host if host is not None else HostEnvironment.current()
    # One scan of sys.path for the whole resolution: it is most of its cost.
    entries = _entry_points()
    if name:
        target = load_target_class(name, entries)(host)
        return ResolvedTarget(target, target.detect())
    for candidate in _detection_order(list(entries)):
        target = load_entry_point(entries[candidate])(host)
        install = target.detect()
        if install is not None:
            return ResolvedTarget(target, install)
    fallback = load_target_class(NO_AGENT, entries)(host)
    return ResolvedTarget(fallback, fallback.detect())
