"""``kanibako attach [-p DIR]``: this terminal connected to the project's detached session.

Ctrl-] detaches (the session goes on); closing the terminal detaches too.
"""

from __future__ import annotations

from pathlib import Path

import click

from kanibako.app import App
from kanibako.options import project_option

DETACH_KEY = b"\x1d"  # Ctrl-]


@click.command()
@project_option
@click.pass_obj
def attach(app: App, /, project: Path | None) -> None:
    """Connect this terminal to the detached session.

    Ctrl-] detaches; the session goes on.
    """
    import socket

    from kanibako.errors import CliError
    from kanibako.session.detached import attach_socket
    from kanibako_paths import load_paths, resolve_project

    workspace = app.project_dir(project)
    path = attach_socket(resolve_project(load_paths(), workspace))
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
    except OSError:
        connection.close()
        raise CliError(f"no detached Kanibako session in {workspace}") from None
    ended = _relay(connection)
    click.echo("\r\nkanibako: " + ("session ended" if ended else "detached"), err=True)


def _frame(kind: bytes, payload: bytes) -> bytes:
    from kanibako.session.detached import HEADER

    return HEADER.pack(kind, len(payload)) + payload


def _winsize(fd: int) -> bytes:
    import fcntl
    import struct
    import termios

    from kanibako.session.detached import WINSIZE

    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    return _frame(b"w", WINSIZE.pack(rows, cols))


def _relay(connection: object) -> bool:
    """Relay until the user detaches (False) or the session ends (True)."""
    import os
    import select
    import signal
    import socket
    import sys
    import termios
    import tty

    assert isinstance(connection, socket.socket)  # noqa: S101
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
                data = connection.recv(65536)
                if not data:
                    return True
                os.write(stdout, data)
            if stdin in ready:
                typed = os.read(stdin, 4096)
                if not typed:
                    return False  # no more input: leave the session running
                before, key, _ = typed.partition(DETACH_KEY)
                if before:
                    connection.sendall(_frame(b"d", before))
                if key:
                    return False
    finally:
        if saved is not None:
            termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
        connection.close()
