"""The runtime's errors: one base with an exit status, subclasses by cause."""

from __future__ import annotations


class KanibakoRuntimeError(Exception):
    """Base of every kanibako_runtime error; ``exit_code`` 1 is a runtime failure."""

    exit_code = 1


class EngineNotFoundError(KanibakoRuntimeError):
    """No usable container engine (a setup mistake the user fixes: exit status 2)."""

    exit_code = 2


class EngineCommandError(KanibakoRuntimeError):
    """An engine command failed; the message carries the engine's own last line."""


class InvalidSpecError(KanibakoRuntimeError):
    """A ContainerSpec that cannot be expressed to the engine (exit status 2)."""

    exit_code = 2


class ProjectLockedError(KanibakoRuntimeError):
    """Another session holds the project lock."""


class EngineUnreachableError(KanibakoRuntimeError):
    """The engine's binary runs but its daemon or service does not answer (exit status 1)."""
