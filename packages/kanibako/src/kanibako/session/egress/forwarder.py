"""The forwarder inside the container: connections to 127.0.0.1:PORT handed to the proxy.

Run by the in-container CLI (``kanibako net forward``, the bundle under the
image's python3) in front of the agent: it binds the port, forks a child that
serves it, and replaces itself with the agent's command, so the agent keeps
the main process's place under the container's init. Anything going wrong here
leaves the container with no way out at all (it runs with ``--network none``)
and one stderr line saying so; the agent starts either way.
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def hand_over(conn: socket.socket, socket_path: str) -> None:
    """Pass the accepted connection to the proxy (one byte with SCM_RIGHTS), then drop ours.

    The proxy then reads and writes the connection itself: the bytes cross no
    second process, and this side holds nothing per connection.
    """
    with conn, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
        control.connect(socket_path)
        socket.send_fds(control, [b"\0"], [conn.fileno()])


def serve(listener: socket.socket, socket_path: str) -> None:
    """Hand every connection on ``listener`` to ``socket_path`` until killed."""
    listener.setblocking(True)
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            time.sleep(0.05)  # out of descriptors for a moment
            continue
        with contextlib.suppress(OSError):
            hand_over(conn, socket_path)


def raise_file_limit() -> None:
    """Two descriptors per connection: lift the soft limit to the hard one."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def bind_loopback(port: int) -> socket.socket:
    """The listening socket on 127.0.0.1:``port`` (before the agent can take the port)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    return listener


def _detach_and_serve(listener: socket.socket, socket_path: str) -> None:
    """In the forked child: leave the terminal alone and serve until the container ends."""
    os.setsid()
    raise_file_limit()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with contextlib.suppress(BaseException):
        serve(listener, socket_path)
    os._exit(0)


def forward_then_exec(port: int, socket_path: str, argv: Sequence[str]) -> None:
    """Start the forwarder, then become ``argv`` (or serve in the foreground without one)."""
    try:
        if not Path(socket_path).exists():
            raise OSError(f"{socket_path} is missing")
        listener = bind_loopback(port)
    except OSError as exc:
        print(f"kanibako: no way out of this container ({exc})", file=sys.stderr, flush=True)
        listener = None
    if not argv:
        if listener is not None:
            serve(listener, socket_path)
        return
    if listener is not None and os.fork() == 0:
        _detach_and_serve(listener, socket_path)
    if listener is not None:
        listener.close()
    os.execvp(argv[0], list(argv))  # noqa: S606 - the agent's own command, no shell
