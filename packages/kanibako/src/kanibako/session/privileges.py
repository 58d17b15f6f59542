"""Least privilege: no new privileges, no capabilities, no setuid file left behind on the host.

By default the container runs with ``no-new-privileges`` and every capability
dropped: the agent works on files it owns, which needs none (measured: see
README "Least privilege"). ``[protect] privileged = true`` in project.toml is
the explicit choice of the engine's defaults (``apt-get``, ``sudo``, ``chown``
to other users need them).

An unprivileged session cannot make a setuid or setgid file at all (session.seccomp). One
made in a privileged session, in a writable mount, is a file on the
host too, where any local user could run it with its owner's rights. The
teardown sweep walks every writable host directory of the session, clears
those bits (and file capabilities) and names each file on stderr.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kanibako.display import safe_line
from kanibako.session.contribution import Contribution, Echo

_PRIVILEGE_BITS = stat.S_ISUID | stat.S_ISGID
_CAPABILITY_XATTR = "security.capability"


def least_privilege(privileged: bool) -> dict[str, Any]:
    """The ContainerSpec options of the chosen privilege level.

    Unprivileged, the seccomp profile also refuses setting setuid/setgid bits (when
    the engine's default profile is there to start from).
    """
    if privileged:
        return {}
    from kanibako.session.seccomp import setuid_refusing_profile

    profile = setuid_refusing_profile()
    options: dict[str, Any] = {"no_new_privileges": True, "cap_drop": ("ALL",)}
    if profile is not None:
        options["seccomp_profile"] = str(profile)
    return options


def _walk_files(root: Path, *, every: bool) -> Iterable[Path]:
    """Regular files under ``root`` with setuid/setgid bits (``every``: all regular files).

    Never follows a symlink out of ``root``; the mode comes from the directory
    walk's own lstat, so only hits become Path objects (a large tree is fast).
    """
    pending = [str(root)]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    elif entry.is_file(follow_symlinks=False) and (
                        every or entry.stat(follow_symlinks=False).st_mode & _PRIVILEGE_BITS
                    ):
                        yield Path(entry.path)
        except OSError:
            continue  # vanished, or unreadable to us: nothing we could have made exploitable


def _has_file_capability(path: Path) -> bool:
    try:
        os.getxattr(path, _CAPABILITY_XATTR, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.ENOTSUP, errno.EPERM, errno.EACCES):
            return False
        raise
    return True


def clear_privileged_files(roots: Iterable[Path], *, capabilities: bool) -> list[Path]:
    """Clear setuid/setgid bits (and file capabilities when asked) under ``roots``; what was cleared."""
    cleared = []
    for root in roots:
        for path in _walk_files(root, every=capabilities):
            try:
                mode = os.lstat(path).st_mode
                hit = False
                if mode & _PRIVILEGE_BITS and stat.S_ISREG(mode):
                    # The session is over: nothing inside can swap the file now.
                    path.chmod(stat.S_IMODE(mode) & ~_PRIVILEGE_BITS)
                    hit = True
                if capabilities and _has_file_capability(path):
                    os.removexattr(path, _CAPABILITY_XATTR, follow_symlinks=False)
                    hit = True
            except OSError:
                continue
            if hit:
                cleared.append(path)
    return cleared


def privileges(writable_roots: Iterable[Path], *, privileged: bool) -> Contribution:
    """No new privileges and no capabilities (unless privileged), and the setuid sweep."""
    unique = sorted({os.path.realpath(r) for r in writable_roots})
    # A root inside another is walked with it: drop it, so no file is looked at twice.
    roots = [Path(r) for r in unique if not any(r.startswith(o + os.sep) for o in unique if o != r)]

    def sweep(echo: Echo) -> None:
        # Without CAP_SETFCAP the box cannot set file capabilities: only a
        # privileged session needs the (one syscall per file) xattr check.
        for path in clear_privileged_files(roots, capabilities=privileged):
            echo(
                "setuid/setgid or capability bits made in the session were cleared: "
                f"'{safe_line(path)}'"
            )

    return Contribution(options=least_privilege(privileged), teardown=sweep)
