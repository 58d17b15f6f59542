"""The three ways a project's state can be organised."""

from __future__ import annotations

from enum import Enum


class ProjectMode(Enum):
    """Where a project's metadata, shell and vault live (see the spec's "Project Modes")."""

    ACCOUNT_CENTRIC = "account-centric"
    """Metadata under ``boxes/{sha256 of the path}``; vault in ``{project}/vault``."""
    WORKSET = "workset"
    """Everything under a named working set root, by project name."""
    DECENTRALIZED = "decentralized"
    """Everything inside the project directory (``.kanibako/``, ``vault/``)."""

    @classmethod
    def parse(cls, text: str) -> ProjectMode:
        """The mode named ``text`` (its value, e.g. ``"workset"``; also ``ac``)."""
        aliases = {"ac": cls.ACCOUNT_CENTRIC, "local": cls.DECENTRALIZED}
        for mode in cls:
            if mode.value == text:
                return mode
        if text in aliases:
            return aliases[text]
        from kanibako_paths.errors import KanibakoPathsError

        names = ", ".join(m.value for m in cls)
        raise KanibakoPathsError(f"unknown mode {text!r} (choose {names})")
