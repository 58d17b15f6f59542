"""The application object every command receives through ``ctx.obj``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click


@dataclass(frozen=True)
class LaunchOptions:
    """Flags shared by ``start``, ``shell`` and ``resume`` (and the bare ``kanibako``)."""

    image: str | None = None
    new: bool = False
    safe: bool = False
    command: str | None = None
    distinct_auth: bool = False
    no_helpers: bool = False


@dataclass
class App:
    """State built once by the root group from the top-level flags."""

    verbose: bool = False
    project: Path | None = None
    launch: LaunchOptions = field(default_factory=LaunchOptions)

    def project_dir(self, override: Path | None = None) -> Path:
        """The project directory: a command's ``-p``, else the top-level ``-p``, else cwd."""
        chosen = override or self.project or Path.cwd()
        return chosen.expanduser().resolve()

    def debug(self, message: str) -> None:
        """Print to stderr only with ``-v``."""
        if self.verbose:
            click.echo(f"kanibako: {message}", err=True)
