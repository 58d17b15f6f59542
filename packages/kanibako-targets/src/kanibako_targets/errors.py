"""The errors kanibako-targets raises: one base class, each with an exit status.

The CLI turns any of them into one line on stderr (``kanibako: <message>``),
so every message names the file, key or plugin it is about.
"""

from __future__ import annotations


class TargetError(Exception):
    """Base of every kanibako-targets error (``exit_code`` 1: a runtime failure)."""

    exit_code: int = 1


class PluginLoadError(TargetError):
    """An installed plugin could not be loaded, or is not a ``Target`` subclass."""

    exit_code = 2


class UnknownTargetError(TargetError):
    """A target name that no installed plugin provides."""

    exit_code = 2


class SettingError(TargetError):
    """An unknown setting or resource key, or a value outside the allowed choices."""

    exit_code = 2


class AgentConfigError(TargetError):
    """A malformed agent TOML file (the message names the file and key)."""

    exit_code = 2


class CredentialError(TargetError):
    """A credential could not be forwarded (its path, or its place in the home, is unusable)."""

    exit_code = 1


class FileRefusedError(TargetError):
    """A file that is not a bounded regular file reachable without links: never read or written.

    Raised by the one reader and the one writer of ``safe_files``; the message
    names the path and what is wrong with it.
    """

    exit_code = 1


class SymlinkRefusedError(FileRefusedError):
    """A path is a symbolic link; following it could leak or clobber a file."""
