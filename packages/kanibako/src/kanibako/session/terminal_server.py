"""A session's terminal, served on a socket: what ``kanibako attach`` and a foreground launch connect to.

The supervisor gives the session a pseudo-terminal; its master side is relayed
to at most one client at a time (a new one takes over), first the recent output
so the screen is there at once. While a client is connected a marker file sits
next to the socket, so ``ps`` can tell an attached session from a detached one
without connecting (a connection would take the terminal over).

Client to server, framed: one type byte, a 2-byte length, the payload (``d``
input bytes, ``w`` rows and columns as two 16-bit numbers). Server to client:
the terminal's output, unframed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import struct
import termios
import threading
from pathlib import Path

from kanibako_paths import Project

# As long as the hub's "hub.sock": the private directory is chosen so that one fits.
SOCKET_NAME = "tty.sock"
ATTACHED_NAME = "tty.attached"
SCROLLBACK = 64 * 1024
# How long the end of a session waits for its last output to reach the client.
DRAIN_SECONDS = 1.0
HEADER = struct.Struct("!cH")
WINSIZE = struct.Struct("!HH")


def attach_socket(project: Project) -> Path:
    """Where the project's session serves its terminal (while it has one)."""
    from kanibako_helpers.session_dir import session_dir

    return session_dir(project.project_hash) / SOCKET_NAME


def is_attached(socket_path: Path) -> bool:
    """Whether a client is connected to the terminal served at ``socket_path``."""
    return socket_path.with_name(ATTACHED_NAME).exists()


def set_winsize(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def frame(kind: bytes, payload: bytes) -> bytes:
    """One client-to-server message."""
    return HEADER.pack(kind, len(payload)) + payload


class TerminalServer:
    """The pty master, relayed to at most one attached client at a time (a new one takes over)."""

    def __init__(self, master: int, listener: socket.socket, socket_path: Path) -> None:
        self.master, self.listener = master, listener
        self.marker = socket_path.with_name(ATTACHED_NAME)
        self.socket_path = socket_path
        self.scrollback = bytearray()
        self.client: socket.socket | None = None
        self.lock = threading.Lock()
        self._pump = threading.Thread(target=self._pump_output, daemon=True)

    def start(self) -> None:
        self._pump.start()
        threading.Thread(target=self._accept, daemon=True).start()

    def _pump_output(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every slave descriptor is closed
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
                self.marker.touch()
                with contextlib.suppress(OSError):  # gone already: its input thread drops it
                    client.sendall(bytes(self.scrollback))
            if previous is not None:
                previous.close()
            threading.Thread(target=self._serve_input, args=(client,), daemon=True).start()

    def _serve_input(self, client: socket.socket) -> None:
        stream = client.makefile("rb")
        try:
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
        except OSError:
            pass  # the connection was closed under us (a takeover, the end)
        self._drop(client)

    def _drop(self, client: socket.socket) -> None:
        with self.lock:
            if self.client is client:
                self.client = None
                self.marker.unlink(missing_ok=True)
        client.close()

    def close(self) -> None:
        """The session is over: pass on its last output, then hang up on the client.

        The caller has closed its own copies of the pty's slave side first, so
        the pump reads to the end of what was written (EIO) within DRAIN_SECONDS.
        """
        self._pump.join(DRAIN_SECONDS)
        self.listener.close()
        self.socket_path.unlink(missing_ok=True)
        with self.lock:
            client, self.client = self.client, None
            self.marker.unlink(missing_ok=True)
        if client is not None:
            client.close()
