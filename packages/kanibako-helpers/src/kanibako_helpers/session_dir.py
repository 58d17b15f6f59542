"""Where a session's socket and secret tokens live: a short, private runtime directory.

AF_UNIX socket paths are limited to 107 bytes, so the socket cannot live under
a project's metadata (which may be deep). ``$XDG_RUNTIME_DIR/kanibako`` is used
when the resulting socket path fits, else ``/tmp/kanibako-<uid>``; either must
be owned by the current user, not a symlink, and mode 0700.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from kanibako_helpers.errors import HelperError

SOCKET_NAME = "hub.sock"
MAX_SOCKET_PATH = 107
_KEY_LENGTH = 16


def _private_dir(path: Path) -> Path:
    """Create ``path`` mode 0700, or prove an existing one is ours and private."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise HelperError(f"{path} is not a directory (refusing a symlink or file)")
    if info.st_uid != os.getuid():
        raise HelperError(f"{path} belongs to another user; refusing to put the hub there")
    if stat.S_IMODE(info.st_mode) != 0o700:
        path.chmod(0o700)
    return path


def _candidates() -> list[Path]:
    found = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        found.append(Path(runtime) / "kanibako")
    found.append(Path(tempfile.gettempdir()) / f"kanibako-{os.getuid()}")
    found.append(Path("/tmp") / f"kanibako-{os.getuid()}")  # noqa: S108 - short on purpose
    return found


def session_dir(key: str) -> Path:
    """The private runtime directory of the session identified by ``key`` (a project hash)."""
    short = "".join(ch for ch in key if ch.isalnum())[:_KEY_LENGTH] or "default"
    for base in _candidates():
        socket_path = base / short / SOCKET_NAME
        if len(os.fsencode(socket_path)) <= MAX_SOCKET_PATH:
            _private_dir(base)
            return _private_dir(base / short)
    raise HelperError("no runtime directory is short enough for the hub socket")


def socket_path(key: str) -> Path:
    """The hub socket path of the session ``key`` (creating its private directory)."""
    return session_dir(key) / SOCKET_NAME
