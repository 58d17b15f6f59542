"""The vault's errors: one base type whose ``exit_code`` says who is at fault."""

from __future__ import annotations


class VaultError(Exception):
    """Base of every kanibako-vault error (a runtime failure unless a subclass says otherwise)."""

    exit_code = 1


class VaultUsageError(VaultError):
    """A user mistake: a missing directory, a bad ``--keep``, a malformed name."""

    exit_code = 2


class UnknownSnapshotError(VaultUsageError):
    """The name given is not one that ``list`` shows."""


class UnsafeArchiveError(VaultError):
    """An archive member or manifest entry would escape the directory or is not allowed."""


class CorruptArchiveError(VaultError):
    """An archive cannot be read, or disagrees with its manifest or its chain."""
