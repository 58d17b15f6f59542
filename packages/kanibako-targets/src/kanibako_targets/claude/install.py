"""Finding Claude Code on the host, however it was installed.

- npm (``npm install -g @anthropic-ai/claude-code``): ``{prefix}/bin/claude``
  links to ``.../@anthropic-ai/claude-code/bin/claude.exe``, a native binary;
- the native installer: ``~/.local/bin/claude`` links to
  ``~/.local/share/claude/versions/X``;
- any other ``claude`` on PATH.

Only the given ``HostEnvironment`` is looked at (its PATH, npm prefix and home),
so a caller decides what "this host" is.

Each is a chain of symbolic links ending at one executable file: that file is
what gets mounted, because a link's target does not exist in the container.
"""

from __future__ import annotations

import os
from pathlib import Path

from kanibako_targets.host import HostEnvironment
from kanibako_targets.values import AgentInstall

COMMAND = "claude"
NPM_PACKAGE = ("@anthropic-ai", "claude-code")


def _candidates(host: HostEnvironment) -> list[Path]:
    found = [entry / COMMAND for entry in host.search_path()]
    # ``npm install -g`` puts the command in the prefix's bin, on PATH or not.
    if host.npm_prefix is not None:
        found.append(host.npm_prefix / "bin" / COMMAND)
    # The native installer's link, even when ~/.local/bin is not on PATH.
    found.append(host.home / ".local" / "bin" / COMMAND)
    return found


def _how_installed(binary: Path, home: Path) -> str:
    parts = binary.parts
    for i in range(len(parts) - 1):
        if (parts[i], parts[i + 1]) == NPM_PACKAGE:
            return "npm"
    versions = (home / ".local" / "share" / "claude" / "versions").resolve()
    if binary.is_relative_to(versions):
        return "native installer"
    return "PATH"


def _runnable(candidate: Path) -> Path | None:
    """The executable file ``candidate`` resolves to, if any.

    A PATH entry this user cannot search (say root's ``/root/bin`` in the PATH
    that ``su`` keeps) makes ``stat`` fail with EACCES, which ``exists()``
    raises rather than answers: such an entry is skipped, like a missing one.
    """
    try:
        if not candidate.exists():  # also false for a dangling link
            return None
        binary = candidate.resolve()
        return binary if binary.is_file() and os.access(binary, os.X_OK) else None
    except OSError:
        return None


def find_claude(host: HostEnvironment) -> AgentInstall | None:
    """The first runnable ``claude`` (PATH order, npm's prefix, ``~/.local/bin``), resolved."""
    for candidate in _candidates(host):
        binary = _runnable(candidate)
        if binary is not None:
            return AgentInstall(
                command=COMMAND, binary=binary, found_via=_how_installed(binary, host.home)
            )
    return None
