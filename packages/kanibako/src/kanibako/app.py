"""The application object every command receives through ``ctx.obj``.

Plain classes rather than dataclasses, and no pathlib at import time: this
module is on every start-up path (``kanibako --help`` included), and those
imports cost a measurable share of it (see bench/cli_startup.py).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathlib import Path


class LaunchOptions(NamedTuple):
    """Flags shared by ``start``, ``shell`` and ``resume`` (and the bare ``kanibako``)."""

    image: str | None = None
    new: bool = False
    safe: bool = False
    command: str | None = None
    distinct_auth: bool = False
    no_helpers: bool = False
    # ``-e NAME=VALUE`` pairs in the order given (a later NAME wins).
    env: tuple[tuple[str, str], ...] = ()
    keep_warm: str | None = None  # seconds, checked with the config key session_keep_warm


class App:
    """State built once by the root group from the top-level flags."""

    __slots__ = ("launch", "project", "verbose")

    def __init__(
        self,
        verbose: bool = False,
        project: Path | None = None,
        launch: LaunchOptions | None = None,
    ) -> None:
        self.verbose = verbose
        self.project = project
        self.launch = launch if launch is not None else LaunchOptions()

    def project_dir(self, override: Path | str | None = None) -> Path:
        """The project directory: a command's ``-p``, else the top-level ``-p``, else cwd."""
        from pathlib import Path

        chosen = override or self.project or Path.cwd()
        return Path(chosen).expanduser().resolve()

    def debug(self, message: str) -> None:
        """Print to stderr only with ``-v``."""
        if self.verbose:
            print(f"kanibako: {message}", file=sys.stderr)
