"""Control files: what the user's own tools run on the host later stays read-only in the box.

Every control path that exists at launch as itself (not through a symlink,
inside the workspace) gets a read-only bind over it. ``.git`` is bound onto
itself, which makes it a mount point: it cannot be renamed or replaced, while
its objects, refs, index and logs stay writable (``git add``, ``commit``,
``branch``, ``stash``, ``fetch`` work) and its config, hooks and info are
read-only. What is new or changed among the control paths when the session
ends is named on stderr, so the user reviews it before a tool runs it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from kanibako.display import safe_line
from kanibako.session.contribution import Contribution, Echo
from kanibako_paths.session_config import ProtectSettings
from kanibako_runtime import Mount

CONTROL_PATHS = (
    ".git/config",
    ".git/hooks",
    ".git/info",
    ".gitmodules",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hooks",
    ".mcp.json",
    ".envrc",
    ".vscode",
    ".idea",
    ".devcontainer",
    ".github/workflows",
    ".gitlab-ci.yml",
    ".circleci",
    ".pre-commit-config.yaml",
    ".husky",
    ".npmrc",
)
_GLOBS = (".yarnrc*",)
_SUBMODULE_DEPTH = 4  # .git/modules/a/modules/b: nested submodules, bounded
_SUBMODULE_DIRS = 2_000  # and in breadth: .git/modules is writable in the box

Fingerprint = tuple[int, int, int, int] | None


def _submodule_paths(workspace: Path) -> Iterator[str]:
    """``config`` and ``hooks`` of every submodule's git dir under ``.git/modules``."""
    pending = [(".git/modules", 0)]
    visited = 0
    while pending and visited < _SUBMODULE_DIRS:
        relative, depth = pending.pop()
        visited += 1
        try:
            entries = list(os.scandir(workspace / relative))
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            inner = f"{relative}/{entry.name}"
            if os.path.lexists(workspace / inner / "HEAD"):
                yield f"{inner}/config"
                yield f"{inner}/hooks"
            if depth < _SUBMODULE_DEPTH:
                pending.append((inner, depth + 1))


def _hooks_path(workspace: Path) -> Iterator[str]:
    """The ``core.hooksPath`` directory of the repository when it lies inside the workspace."""
    config = workspace / ".git" / "config"
    if not config.is_file():
        return  # absent, or not a regular file (a FIFO would block the launch)
    try:
        with config.open("rb") as file:
            text = file.read(1_000_000)  # bounded: the box may have grown it
    except OSError:
        return
    if b"hookspath" not in text.lower():
        return  # the common case, without starting git (an include could name it: rare)
    try:
        found = subprocess.run(
            ["git", "config", "--file", str(config), "--get", "core.hooksPath"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return
    value = found.stdout.strip()
    if found.returncode != 0 or not value:
        return
    real = os.path.realpath(workspace / Path(value).expanduser())
    root = os.path.realpath(workspace)
    if real.startswith(root + os.sep):
        yield os.path.relpath(real, root)


def control_paths(workspace: Path, settings: ProtectSettings) -> list[str]:
    """Workspace-relative control paths to protect and watch (existing or not)."""
    found = [*CONTROL_PATHS, *settings.extra]
    for pattern in _GLOBS:
        found += sorted(p.name for p in workspace.glob(pattern))
    found += _submodule_paths(workspace)
    found += _hooks_path(workspace)
    writable = set(settings.writable)
    unique = dict.fromkeys(
        p for p in found if p not in writable and not any(p.startswith(w + "/") for w in writable)
    )
    return list(unique)


def _is_itself(workspace: Path, relative: str) -> bool:
    """True when ``relative`` exists as a real file or directory at that very place."""
    path = workspace / relative
    if path.is_symlink() or not os.path.lexists(path):
        return False
    return os.path.realpath(path) == str(Path(os.path.realpath(workspace)) / relative)


def _fingerprint(path: Path) -> Fingerprint:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns)


def protect_control_files(
    workspace: Path, container_workspace: str, settings: ProtectSettings
) -> Contribution:
    """Read-only binds over the control files, ``.git`` held in place, and the teardown sweep."""
    mounts = []
    if (
        _is_itself(workspace, ".git")
        and (workspace / ".git").is_dir()
        and ".git" not in set(settings.writable)
    ):
        mounts.append(Mount(workspace / ".git", f"{container_workspace}/.git"))
    watched = control_paths(workspace, settings)
    for relative in watched:
        if _is_itself(workspace, relative):
            mounts.append(
                Mount(workspace / relative, f"{container_workspace}/{relative}", read_only=True)
            )
    before = {relative: _fingerprint(workspace / relative) for relative in watched}

    def sweep(echo: Echo) -> None:
        for relative in report_changes(workspace, settings, before):
            # The box chose the name: escaped, so the line stays one line of plain text.
            echo(
                f"control file '{safe_line(relative)}' was created or changed in the session: "
                "review it"
            )

    return Contribution(mounts=tuple(mounts), teardown=sweep)


def report_changes(
    workspace: Path, settings: ProtectSettings, before: dict[str, Fingerprint]
) -> list[str]:
    """Control paths that are new, gone or different from ``before`` (the launch's view)."""
    now = control_paths(workspace, settings)
    changed = []
    for relative in dict.fromkeys([*before, *now]):
        if before.get(relative) != _fingerprint(workspace / relative):
            changed.append(relative)
    return changed
