"""The ``kanibako`` console script: hand the command to the warm launcher when one runs, else run it here.

The warm launcher (kanibako.session.launcher) has the CLI and the launch path
imported already; handing a launch to it saves their import on every launch
while a standby is kept. This module is what runs before that hand-over, so
it imports only C modules that a bare interpreter has already loaded or loads
in well under a millisecond (``_socket``, ``_signal``, ``_struct``): the
``socket`` and ``signal`` modules alone cost 15 ms here.

Anything unexpected (no socket, not ours, a refusal, an error before the
launcher answered "ok") runs the command in this process, as if no launcher
existed.
"""

from __future__ import annotations

import os
import sys

_LAUNCHES = frozenset({"start", "shell", "resume"})
# The launch options that take a value (kanibako.options), as the root group has them.
_VALUE_OPTIONS = frozenset(
    {"-p", "--project", "-i", "--image", "-c", "--command", "-e", "--env", "--keep-warm"}
)
_FORWARDED = ("SIGINT", "SIGTERM", "SIGWINCH", "SIGQUIT")


def main() -> None:
    """Console-script entry point."""
    status = None
    if _is_launch(sys.argv[1:]) and not os.environ.get("KANIBAKO_NO_LAUNCHER"):
        status = _through_launcher(sys.argv[1:])
    if status is None:
        from kanibako.cli import main as run_here

        run_here()
        return
    os._exit(status)


def _is_launch(argv: list[str]) -> bool:
    """Whether ``argv`` names a launch (or no command: ``start``), past the top-level options.

    Only an optimisation: a command taken for a launch by mistake still runs
    whole, and correctly, in the launcher's child.
    """
    taking_value = False
    for arg in argv:
        if taking_value:
            taking_value = False
        elif arg in _VALUE_OPTIONS:
            taking_value = True
        elif not arg.startswith("-"):
            return arg in _LAUNCHES
    return True


def _candidates() -> list[str]:
    uid = os.getuid()
    found = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        found.append(f"{runtime}/kanibako")
    # As kanibako_helpers.session_dir chooses (without importing tempfile).
    temporary = os.environ.get("TMPDIR") or "/tmp"  # noqa: S108 - a private, checked directory
    found += [f"/run/user/{uid}/kanibako", f"{temporary}/kanibako-{uid}"]
    return found


def _socket_path() -> str | None:
    """The launcher's socket, in a private directory of this user's, or None."""
    import stat

    uid = os.getuid()
    for base in _candidates():
        try:
            folder, entry = os.lstat(base), os.lstat(f"{base}/launcher.sock")
        except OSError:
            continue
        private = stat.S_ISDIR(folder.st_mode) and not folder.st_mode & 0o077
        if (
            private
            and folder.st_uid == uid
            and entry.st_uid == uid
            and stat.S_ISSOCK(entry.st_mode)
        ):
            return f"{base}/launcher.sock"
    return None


def _request(argv: list[str]) -> bytes:
    groups = ",".join(str(g) for g in os.getgroups())
    cwd = os.getcwd()  # noqa: PTH109 - pathlib costs 8 ms to import, and this runs first
    fields = [b"launch", os.fsencode(sys.executable), os.fsencode(cwd)]
    umask = os.umask(0)
    os.umask(umask)
    fields += [b"%o" % umask, groups.encode(), b"%d" % len(argv), *map(os.fsencode, argv)]
    fields += [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in os.environ.items()]
    return b"\0".join(fields)


def _through_launcher(argv: list[str]) -> int | None:
    """The command's exit status from the launcher's child; None: run it here instead."""
    import _socket

    path = _socket_path()
    if path is None:
        return None
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        return _hand_over(connection, path, argv)
    finally:
        connection.close()


def _hand_over(connection: object, path: str, argv: list[str]) -> int | None:
    import _socket
    import _struct

    assert isinstance(connection, _socket.socket)  # noqa: S101
    try:
        connection.settimeout(2)
        connection.connect(path)
        _, uid, _ = _struct.unpack(
            "3i", connection.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
        )
        if uid != os.getuid():
            return None  # not ours: the environment must not go there
        body = _request(argv)
        fds = (_socket.SOL_SOCKET, _socket.SCM_RIGHTS, _struct.pack("3i", 0, 1, 2))
        connection.sendmsg([_struct.pack("!I", len(body))], [fds])
        connection.sendall(body)
        reply = _read_line(connection)
    except (OSError, ValueError):
        return None
    if not reply.startswith(b"ok "):
        return None
    # From here the command runs in the launcher's child: it is no longer ours to run.
    connection.settimeout(None)
    _forward_signals(int(reply[3:]))
    try:
        ended = _read_line(connection)
    except OSError:
        ended = b""
    if ended.startswith(b"exit "):
        return int(ended[5:])
    os.write(2, b"kanibako: the warm launcher's process ended without a status\n")
    return 1


def _read_line(connection: object) -> bytes:
    import _socket

    assert isinstance(connection, _socket.socket)  # noqa: S101
    line = b""
    while not line.endswith(b"\n"):
        chunk = connection.recv(1)
        if not chunk:
            return line
        line += chunk
    return line.rstrip(b"\n")


def _forward_signals(pid: int) -> None:
    import _signal  # type: ignore[import-not-found]  # the C module behind signal

    def forward(signum: int, frame: object) -> None:
        # contextlib is not loaded yet here (3 ms); an ended child's status is on its way.
        try:  # noqa: SIM105
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for name in _FORWARDED:
        _signal.signal(getattr(_signal, name), forward)
