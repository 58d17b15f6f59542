"""This terminal relayed to a session's (kanibako.session.terminal_server): ``attach`` and foreground launches.

The terminal goes raw, so every key (Ctrl-C included) reaches the session as
typed; Ctrl-] detaches (the session goes on); a closed terminal detaches too.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys

DETACH_KEY = b"\x1d"  # Ctrl-]
# Set by the warm launcher's child (kanibako.session.launcher): the connection to
# the command's own process. It closes when that process dies, and the relay
# must then let go of the terminal at once: the user's shell has it back, and
# what is typed there must not go on into the session.
caller_fd: int | None = None


def _winsize(fd: int) -> bytes:
    import fcntl
    import struct
    import termios

    from kanibako.session.terminal_server import WINSIZE, frame

    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    return frame(b"w", WINSIZE.pack(rows, cols))


def _pass_output(connection: socket.socket, stdout: int) -> bool | None:
    """The session's output to the terminal; True: the session ended, False: the terminal is gone."""
    try:
        data = connection.recv(65536)
    except ConnectionResetError:
        data = b""
    if not data:
        return True
    try:
        os.write(stdout, data)
    except OSError:
        return False  # the terminal is gone (EIO): the session goes on
    return None


def _pass_input(connection: socket.socket, stdin: int) -> bool:
    """What was typed, to the session; False: detach (the key, or no more input)."""
    from kanibako.session.terminal_server import frame

    try:
        typed = os.read(stdin, 4096)
    except OSError:
        typed = b""  # the terminal hung up (EIO)
    before, key, _ = typed.partition(DETACH_KEY)
    if before:
        connection.sendall(frame(b"d", before))
    return bool(typed) and not key


def relay(connection: socket.socket) -> bool:
    """Relay until the user detaches (False) or the session ends (True)."""
    import termios
    import tty

    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    terminal = os.isatty(stdin)
    saved = termios.tcgetattr(stdin) if terminal else None
    try:
        if terminal:
            tty.setraw(stdin)
            connection.sendall(_winsize(stdin))
            signal.signal(signal.SIGWINCH, lambda *_: connection.sendall(_winsize(stdin)))
        watched = [connection, stdin] if caller_fd is None else [connection, stdin, caller_fd]
        while True:
            ready, _, _ = select.select(watched, [], [])
            if caller_fd in ready:
                return False  # the command's process is gone: detach
            if connection in ready:
                ended = _pass_output(connection, stdout)
                if ended is not None:
                    return ended
            if stdin in ready and not _pass_input(connection, stdin):
                return False
    finally:
        if saved is not None:
            with contextlib.suppress(OSError):  # a terminal that hung up keeps no settings
                termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
        connection.close()
