"""This terminal relayed to a session's (kanibako.session.terminal_server): ``attach`` and foreground launches.

The terminal goes raw, so every key (Ctrl-C included) reaches the session as
typed; Ctrl-] detaches (the session goes on); a closed terminal detaches too.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sys

DETACH_KEY = b"\x1d"  # Ctrl-]


def _winsize(fd: int) -> bytes:
    import fcntl
    import struct
    import termios

    from kanibako.session.terminal_server import WINSIZE, frame

    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    return frame(b"w", WINSIZE.pack(rows, cols))


def relay(connection: socket.socket) -> bool:
    """Relay until the user detaches (False) or the session ends (True)."""
    import termios
    import tty

    from kanibako.session.terminal_server import frame

    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    terminal = os.isatty(stdin)
    saved = termios.tcgetattr(stdin) if terminal else None
    try:
        if terminal:
            tty.setraw(stdin)
            connection.sendall(_winsize(stdin))
            signal.signal(signal.SIGWINCH, lambda *_: connection.sendall(_winsize(stdin)))
        while True:
            ready, _, _ = select.select([connection, stdin], [], [])
            if connection in ready:
                try:
                    data = connection.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    return True
                os.write(stdout, data)
            if stdin in ready:
                typed = os.read(stdin, 4096)
                if not typed:
                    return False  # no more input: leave the session running
                before, key, _ = typed.partition(DETACH_KEY)
                if before:
                    connection.sendall(frame(b"d", before))
                if key:
                    return False
    finally:
        if saved is not None:
            termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
        connection.close()
