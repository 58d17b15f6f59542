"""The warm launcher: a Kanibako process with the launch's modules imported, waiting for the next one.

A launch spends more of its time importing (click, the launch path, the hub,
the targets) than Kanibako spends on its own work. After a session that keeps
a standby (``keep_warm``), its supervisor makes sure one launcher per user runs:
``python -m kanibako.session.launcher SECONDS`` imports the modules that
session used (their names arrive on stdin), then serves ``launcher.sock`` in
the user's private runtime directory until SECONDS pass without a request.

A ``kanibako`` command (kanibako.entry) that finds the socket sends its argv,
environment, working directory, umask and groups, with its stdin, stdout and
stderr as descriptors; the launcher forks, and the child becomes that command:
the same stdio, environment and directory, the whole CLI run as usual. The
command's process waits, passes its signals on, and exits with the child's
status. Nothing else changes: the child forks the session's supervisor as
any CLI does.

Who may ask: only a process of this user (SO_PEERCRED) in this process's mount
namespace, so a container (its own mount namespace; the socket is in no
directory a container binds) is refused even if it reached the socket. What
is refused: a request from another interpreter, other groups, or after any of
the imported files changed (an upgrade): the command then runs itself, and a
stale launcher exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

SOCKET_NAME = "launcher.sock"
LOCK_NAME = "launcher.lock"
# Not to be imported again by name: the script that ran, and the launcher itself.
_NEVER = ("__main__", "kanibako.session.launcher", "kanibako.entry")
_MAX_REQUEST = 1 << 20


def keep_warm(seconds: int) -> None:
    """Make sure the launcher runs for at least ``seconds`` more (after a session; never raises)."""
    from kanibako_helpers import HelperError
    from kanibako_helpers.session_dir import runtime_root

    with contextlib.suppress(OSError, HelperError):  # then the next launch runs by itself
        base = runtime_root()
        if _ask(base / SOCKET_NAME, b"keep\0%d" % seconds):
            return
        _spawn(base, seconds)


def stop() -> int | None:
    """End this user's running launcher (``stop --all``); its pid, or None when none runs."""
    from kanibako_helpers.session_dir import runtime_root

    try:
        lock = os.open(runtime_root() / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held: a launcher runs, and its pid is in the file
            pid = int(os.pread(lock, 32, 0).split()[0])
            os.kill(pid, signal.SIGTERM)
            return pid
        return None
    except (OSError, ValueError, IndexError):
        return None
    finally:
        os.close(lock)


def _ask(path: Path, message: bytes) -> bool:
    """Send one short request to a running launcher; False when none answers."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(2)
        connection.connect(str(path))
        connection.sendall(struct.pack("!I", len(message)) + message)
        return connection.recv(16).startswith(b"ok")
    except OSError:
        return False
    finally:
        connection.close()


def _spawn(base: Path, seconds: int) -> None:
    import subprocess

    modules = sorted(name for name in sys.modules if not name.startswith(_NEVER))
    log = os.open(base / "launcher.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "kanibako.session.launcher", str(seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd="/",
            start_new_session=True,
        )
    finally:
        os.close(log)
    assert process.stdin is not None  # noqa: S101 - stdin=PIPE
    with contextlib.suppress(OSError):
        process.stdin.write("\n".join(modules).encode())
    process.stdin.close()


def _identities(paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(mtime, size) of each file that exists: an upgrade changes them."""
    seen: dict[str, tuple[int, int]] = {}
    for path in paths:
        with contextlib.suppress(OSError):
            info = Path(path).stat()
            seen[path] = (info.st_mtime_ns, info.st_size)
    return seen


def _imported_files() -> dict[str, tuple[int, int]]:
    """The identities of every file the loaded modules came from."""
    names = (getattr(module, "__file__", None) for module in list(sys.modules.values()))
    return _identities(name for name in names if isinstance(name, str))


def _unchanged(files: dict[str, tuple[int, int]]) -> bool:
    return _identities(files) == files


def _peer_allowed(connection: socket.socket) -> bool:
    """Whether the peer is a process of this user in this mount namespace."""
    pid, uid, _ = struct.unpack(
        "3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    )
    if uid != os.getuid() or pid <= 0:
        return False
    try:
        return Path(f"/proc/{pid}/ns/mnt").readlink() == Path("/proc/self/ns/mnt").readlink()
    except OSError:
        return False


def _receive(connection: socket.socket) -> tuple[list[bytes], list[int]]:
    """One request: its NUL-separated fields and the descriptors that came with it."""
    connection.settimeout(5)
    head, fds, _, _ = socket.recv_fds(connection, 4, 3)
    try:
        if len(head) < 4:
            raise OSError("short request")
        length = struct.unpack("!I", head)[0]
        if length > _MAX_REQUEST:
            raise OSError("request too large")
        body = b""
        while len(body) < length:
            more, extra, _, _ = socket.recv_fds(connection, length - len(body), 3)
            fds += extra
            if not more:
                raise OSError("request cut short")
            body += more
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    connection.settimeout(None)
    return body.split(b"\0"), fds


class Launcher:
    """The server: one listening socket; a fork per launch."""

    def __init__(
        self, listener: socket.socket, lock: int, seconds: float, files: dict[str, tuple[int, int]]
    ) -> None:
        self.listener, self.lock, self.seconds = listener, lock, seconds
        self.deadline = time.monotonic() + seconds
        self.files = files
        self.stale = False

    def serve(self) -> None:
        while not self.stale:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.listener], [], [], left)
            if not ready:
                continue
            with contextlib.suppress(OSError):
                connection, _ = self.listener.accept()
                with connection:
                    self._handle(connection)

    def _handle(self, connection: socket.socket) -> None:
        if not _peer_allowed(connection):
            return
        fields, fds = _receive(connection)
        try:
            if fields[0] == b"keep" and len(fields) == 2 and fields[1].isdigit():
                self.deadline = max(self.deadline, time.monotonic() + int(fields[1]))
                connection.sendall(b"ok\n")
            elif fields[0] == b"launch" and len(fds) == 3:
                self._launch(connection, fields[1:], fds)
        finally:
            for fd in fds:
                os.close(fd)

    def _launch(self, connection: socket.socket, fields: list[bytes], fds: list[int]) -> None:
        request = _LaunchRequest.parse(fields)
        if not _unchanged(self.files):
            self.stale = True  # an upgrade: this process's code is no longer Kanibako's
        if self.stale or request is None or not request.fits():
            connection.sendall(b"no\n")
            return
        self.deadline = max(self.deadline, time.monotonic() + self.seconds)
        if os.fork() == 0:
            # Neither is the command's: a session's supervisor must not hold them.
            self.listener.close()
            os.close(self.lock)
            _become(request, connection, fds)  # never returns


class _LaunchRequest(NamedTuple):
    executable: str
    cwd: str
    umask: int
    groups: list[int]
    argv: list[str]
    env: dict[str, str]

    @classmethod
    def parse(cls, fields: list[bytes]) -> _LaunchRequest | None:
        try:
            executable, cwd, umask, groups, count = (f.decode() for f in fields[:5])
            argc = int(count)
            argv = [os.fsdecode(f) for f in fields[5 : 5 + argc]]
            env = dict(os.fsdecode(f).split("=", 1) for f in fields[5 + argc :] if b"=" in f)
            gids = sorted(int(g) for g in groups.split(",") if g)
            return cls(executable, cwd, int(umask, 8), gids, argv, env)
        except ValueError:
            return None

    def fits(self) -> bool:
        return (
            self.executable == sys.executable
            and self.groups == sorted(os.getgroups())
            and Path(self.cwd).is_dir()
        )


def _become(request: _LaunchRequest, connection: socket.socket, fds: list[int]) -> None:
    """The forked child: take the command's stdio, environment and directory, and run it."""
    status = 1
    try:
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in set(fds) - {0, 1, 2}:
            # Else every process the command forks (the supervisor, the next
            # standby's start) would hold the caller's stdio open: a reader of
            # its stdout would wait for them.
            os.close(fd)
        os.chdir(request.cwd)
        os.umask(request.umask)
        os.environ.clear()
        os.environ.update(request.env)
        _fresh_std_streams()
        sys.argv = ["kanibako", *request.argv]
        connection.sendall(b"ok %d\n" % os.getpid())
        from kanibako.cli import run_to_status
        from kanibako.session import terminal_client

        terminal_client.caller_fd = connection.fileno()

        status = run_to_status(request.argv)
    except BaseException:  # a launch's end must always be reported
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(OSError):
            connection.sendall(b"exit %d\n" % status)
        os._exit(status)


def _fresh_std_streams() -> None:
    """Text streams over the new descriptors 0-2, buffered as Python would buffer them."""
    for number, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        mode = "r" if number == 0 else "w"
        line_buffered = number == 2 or os.isatty(number)
        stream = open(  # noqa: SIM115 - lives as long as the process
            number, mode, buffering=1 if line_buffered and mode == "w" else -1,
            encoding="utf-8", errors="surrogateescape" if number < 2 else "backslashreplace",
            closefd=False,
        )  # fmt: skip
        setattr(sys, name, stream)


def _end(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main() -> None:
    """``python -m kanibako.session.launcher SECONDS``: import, then serve until idle."""
    import importlib

    seconds = float(sys.argv[1])
    for name in sys.stdin.read().split():
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    files = _imported_files()  # right after the imports: a change from here on is seen
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the names' pipe is read; hold nothing of the session that started us
    os.close(null)
    from kanibako_helpers.session_dir import bind_listener, runtime_root

    base = runtime_root()
    lock = os.open(base / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another launcher runs
    os.ftruncate(lock, 0)
    os.pwrite(lock, b"%d\n" % os.getpid(), 0)  # for stop()

    path = base / SOCKET_NAME
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children reap themselves
    signal.signal(signal.SIGTERM, _end)  # stop(): unwind, so the socket goes too
    listener = bind_listener(path)
    bound = path.stat().st_ino
    try:
        gc.collect()
        gc.freeze()  # the children share these pages instead of copying them on a collection
        Launcher(listener, lock, seconds, files).serve()
    finally:
        with contextlib.suppress(OSError):
            if path.stat().st_ino == bound:
                path.unlink()
        listener.close()


if __name__ == "__main__":
    main()
