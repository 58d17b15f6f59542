"""Where a session's socket and secret tokens live: a short, private runtime directory.

AF_UNIX socket paths are limited to 107 bytes, so the socket cannot live under
a project's metadata (which may be deep). ``$XDG_RUNTIME_DIR/kanibako`` is used
when the resulting socket path fits, else ``/tmp/kanibako-<uid>``; either must
be owned by the current user, not a symlink, and mode 0700.

The hub's socket sits in a directory of its own (``hub/``), one per project and
the same for every session: the director's container binds the directory, not
the socket, so a container started before the hub (a warm standby) still sees
the socket each new session's hub makes there.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path

from kanibako_helpers.errors import HelperError

SOCKET_NAME = "hub.sock"
HUB_DIR = "hub"
MAX_SOCKET_PATH = 107
# Room for the longest socket name placed in a session directory (the egress
# proxy's ``e<helper>/egress.sock``), so that every one of them fits AF_UNIX.
_LONGEST_ENTRY = "e99999/egress.sock"
_KEY_LENGTH = 16


def bind_listener(path: Path) -> socket.socket:
    """A listening Unix socket at ``path`` (owner only), replacing what is there.

    Bound before the server that will serve it exists (the hub, the egress
    proxy): a connection made in between waits in its backlog.
    """
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        path.chmod(0o600)
        listener.listen(1024)
    except OSError:
        listener.close()
        raise
    return listener


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
    systemd = Path("/run/user") / str(os.getuid())
    if systemd.is_dir() and systemd / "kanibako" not in found:
        found.append(systemd / "kanibako")  # where $XDG_RUNTIME_DIR usually points
    # Imported here: tempfile brings shutil and random (3 ms), and every launch
    # finds its runtime directory above.
    import tempfile

    found.append(Path(tempfile.gettempdir()) / f"kanibako-{os.getuid()}")
    found.append(Path("/tmp") / f"kanibako-{os.getuid()}")  # noqa: S108 - short on purpose
    return found


def _fitting(key: str) -> list[Path]:
    """Candidate session directories of ``key`` whose socket path fits AF_UNIX."""
    short = "".join(ch for ch in key if ch.isalnum())[:_KEY_LENGTH] or "default"
    return [
        base / short
        for base in _candidates()
        if len(os.fsencode(base / short / _LONGEST_ENTRY)) <= MAX_SOCKET_PATH
    ]


def session_dir(key: str, *, find_running: bool = False) -> Path:
    """The private runtime directory of the session identified by ``key`` (a project hash).

    With ``find_running``, a directory where a hub socket already exists wins,
    so a command run without the session's ``$XDG_RUNTIME_DIR`` still finds it.
    """
    fitting = _fitting(key)
    if not fitting:
        raise HelperError("no runtime directory is short enough for the hub socket")
    if find_running:
        for candidate in fitting:
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK((candidate / HUB_DIR / SOCKET_NAME).lstat().st_mode):
                    _private_dir(candidate.parent)
                    return _private_dir(candidate)
    _private_dir(fitting[0].parent)
    return _private_dir(fitting[0])


def runtime_root() -> Path:
    """The per-user directory the session directories live in (created, private).

    Kanibako's own host-side sockets that no container may reach (the warm
    launcher's) live here: containers bind only directories below a session's.
    """
    fitting = _fitting("root")
    if not fitting:
        raise HelperError("no runtime directory is short enough for the hub socket")
    return _private_dir(fitting[0].parent)


def private_subdir(parent: Path, name: str) -> Path:
    """``parent/name``, created mode 0700 or proved to be ours and private (not a symlink)."""
    return _private_dir(parent / name)


def hub_dir(key: str, *, find_running: bool = False) -> Path:
    """The directory holding the hub socket of the session ``key`` (created, private)."""
    return private_subdir(session_dir(key, find_running=find_running), HUB_DIR)


def socket_path(key: str) -> Path:
    """The hub socket path of the session ``key`` (creating its private directories)."""
    return hub_dir(key) / SOCKET_NAME
