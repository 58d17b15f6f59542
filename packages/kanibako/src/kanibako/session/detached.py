"""Detached sessions: a supervisor process owns the session and serves its terminal on a socket.

``start|shell|resume -d`` forks a supervisor (``setsid``, then a second fork:
no terminal, no parent to die with). It gives the session a pseudo-terminal
of its own (stdin and stdout; stderr goes to ``session.log`` in the project's
box) and runs the ordinary launch path in it, so the engine client sees a
terminal and the container gets a tty on every engine. The pty's master side
is served on ``tty.sock`` in the session's private runtime directory:
``kanibako attach`` relays the user's terminal to it (first the recent output,
so the screen is there at once; a resize makes the agent redraw).

Client to supervisor, framed: one type byte, a 2-byte length, the payload
(``d`` input bytes, ``w`` rows and columns as two 16-bit numbers).
Supervisor to client: the terminal's output, unframed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import socket
import struct
import termios
import threading
import time
from pathlib import Path

from kanibako.session.prepare import Echo, SessionRequest, resolve
from kanibako_paths import Project

# As long as the hub's "hub.sock": the private directory is chosen so that one fits.
SOCKET_NAME = "tty.sock"
LOG_NAME = "session.log"
SCROLLBACK = 64 * 1024
# How long a detached session must hold its lock before -d calls it running: long
# enough that a command ending at once (a busy machine starts a container in ~1 s)
# is reported as such rather than as a running session.
SETTLE_SECONDS = 3.0
HEADER = struct.Struct("!cH")
WINSIZE = struct.Struct("!HH")


def attach_socket(project: Project) -> Path:
    """Where the project's detached session serves its terminal."""
    from kanibako_helpers.session_dir import session_dir

    return session_dir(project.project_hash) / SOCKET_NAME


def set_winsize(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class TerminalServer:
    """The pty master, relayed to at most one attached client at a time (a new one takes over)."""

    def __init__(self, master: int, listener: socket.socket) -> None:
        self.master, self.listener = master, listener
        self.scrollback = bytearray()
        self.client: socket.socket | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        for target in (self._pump_output, self._accept):
            threading.Thread(target=target, daemon=True).start()

    def _pump_output(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.scrollback += data
                del self.scrollback[:-SCROLLBACK]
                client = self.client
            if client is not None:
                try:
                    client.sendall(data)
                except OSError:
                    self._drop(client)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                previous, self.client = self.client, client
                client.sendall(bytes(self.scrollback))
            if previous is not None:
                previous.close()
            threading.Thread(target=self._serve_input, args=(client,), daemon=True).start()

    def _serve_input(self, client: socket.socket) -> None:
        stream = client.makefile("rb")
        while True:
            header = stream.read(HEADER.size)
            if len(header) < HEADER.size:
                break
            kind, length = HEADER.unpack(header)
            payload = stream.read(length)
            if kind == b"d":
                os.write(self.master, payload)
            elif kind == b"w" and len(payload) == WINSIZE.size:
                set_winsize(self.master, *WINSIZE.unpack(payload))
        self._drop(client)

    def _drop(self, client: socket.socket) -> None:
        with self.lock:
            if self.client is client:
                self.client = None
        client.close()

    def close(self) -> None:
        with self.lock:
            client, self.client = self.client, None
        if client is not None:
            client.close()
        self.listener.close()


def start_detached(request: SessionRequest, echo: Echo) -> int:
    """Start the session under a supervisor and return once it runs (exit status for the CLI)."""
    from kanibako.errors import CliError
    from kanibako_runtime import LOCK_FILE_NAME, lock_holder

    resolved = resolve(request)  # bad input fails here, in the foreground
    project = resolved.project
    lock_file = project.metadata_dir / LOCK_FILE_NAME
    holder = lock_holder(lock_file) if lock_file.exists() else None
    if holder is not None:
        raise CliError(f"a session is already running in {project.workspace} ({holder.describe()})")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.setsid()
        if os.fork():
            os._exit(0)
        _supervise(request, project, write_end)  # never returns
    os.close(write_end)
    os.waitpid(pid, 0)
    return _await_running(read_end, lock_file, project, echo)


def _await_running(read_end: int, lock_file: Path, project: Project, echo: Echo) -> int:
    from kanibako.errors import CliError
    from kanibako_runtime import lock_holder

    deadline = time.monotonic() + 120
    settled: float | None = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 0.05)
        if ready:
            status = os.read(read_end, 16).decode().strip()
            os.close(read_end)
            raise CliError(
                f"the detached session ended at once (status {status or '?'}); "
                f"see {project.metadata_dir / LOG_NAME}"
            )
        if settled is None and lock_file.exists() and lock_holder(lock_file) is not None:
            settled = time.monotonic() + SETTLE_SECONDS
        if settled is not None and time.monotonic() >= settled:
            os.close(read_end)
            echo(
                f"detached session running in {project.workspace}: kanibako attach -p {project.workspace}"
            )
            return 0
    os.close(read_end)
    raise CliError("the detached session did not start within 120 s")


def _supervise(request: SessionRequest, project: Project, report: int) -> None:
    """The supervisor: a pty for the session, its master served on the socket, until the end."""
    import pty

    status = 1
    try:
        master, slave = pty.openpty()
        set_winsize(slave, 24, 80)
        # A project's first launch: its box is made now, for the log (initialized later).
        project.metadata_dir.mkdir(parents=True, exist_ok=True)
        log = os.open(
            project.metadata_dir / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )
        os.dup2(slave, 0)
        os.dup2(slave, 1)
        os.dup2(log, 2)
        path = attach_socket(project)
        path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        path.chmod(0o600)
        listener.listen(4)
        server = TerminalServer(master, listener)
        server.start()
        try:
            from kanibako.session.run import echo_stderr, run_session

            status = run_session(request, echo_stderr)
        finally:
            server.close()
            path.unlink(missing_ok=True)
    except BaseException as exc:
        os.write(2, f"kanibako: detached session failed: {exc}\n".encode())
    finally:
        with contextlib.suppress(OSError):  # the CLI that started us is gone: nobody to tell
            os.write(report, f"{status}\n".encode())
        os._exit(status)
