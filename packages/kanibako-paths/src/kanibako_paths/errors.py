"""The one exception family of kanibako-paths.

Every error carries an integer ``exit_code`` (2 = the user's mistake, 1 = a
runtime failure) so the CLI can print one line and exit without importing us.
"""

from __future__ import annotations


class KanibakoPathsError(Exception):
    """Base of every kanibako-paths error: a user mistake unless a subclass says otherwise."""

    exit_code: int = 2


class ConfigError(KanibakoPathsError):
    """A malformed or invalid TOML file or config value (names the file, line or key)."""


class EnvFileError(KanibakoPathsError):
    """A bad line in an env file, or an invalid variable name or value."""


class ProjectError(KanibakoPathsError):
    """A project that is missing, already initialized, or in the wrong state."""


class WorksetError(KanibakoPathsError):
    """An unknown, duplicate or invalid working set (or project inside one)."""


class StateTransferError(KanibakoPathsError):
    """A migrate, duplicate, archive or restore that cannot be done as asked."""
