"""The host facts a target looks at: the user's home and the command search path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostEnvironment:
    """Where a target looks for its agent and credentials on the host.

    Passing one explicitly (instead of reading ``$HOME``/``$PATH`` inside
    each target) keeps targets testable against a throwaway home.
    """

    home: Path
    path: str = ""

    @classmethod
    def current(cls, environ: Mapping[str, str] | None = None) -> HostEnvironment:
        """The running process's home and PATH."""
        env = os.environ if environ is None else environ
        home = env.get("HOME") or str(Path.home())
        return cls(home=Path(home), path=env.get("PATH", os.defpath))

    def search_path(self) -> list[Path]:
        """The PATH entries, in order, skipping empty ones."""
        return [Path(entry) for entry in self.path.split(os.pathsep) if entry]
