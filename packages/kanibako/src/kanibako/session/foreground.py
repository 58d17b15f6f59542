"""A foreground launch: a session under its supervisor, attached from the start.

In a terminal, the CLI relays it to the session's pseudo-terminal (as
``kanibako attach`` does): closing the terminal, Ctrl-] or a killed CLI
detach, and the session goes on. Without a terminal the supervisor has the
CLI's own stdio. Either way the CLI passes SIGINT and SIGTERM on (the session
ends, as it always has) and exits with the session's status.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from kanibako.session.prepare import Echo, ResolvedSession, SessionRequest
from kanibako.session.supervisor import start_session

FORWARDED = (signal.SIGINT, signal.SIGTERM)


def run_foreground(request: SessionRequest, echo: Echo) -> int:
    """Run the session to its end (or until the user detaches: 0); the session's exit status."""
    from kanibako.errors import cli_error
    from kanibako_runtime.containers import stdin_is_terminal

    terminal = stdin_is_terminal()
    resolved, supervisor = start_session(request, terminal=terminal)
    try:
        with _forwarding(supervisor.pid):
            if terminal and not _relayed(resolved):
                workspace = resolved.project.workspace
                echo(f"detached; the session goes on: kanibako attach -p {workspace}")
                return 0
            status, message = supervisor.outcome()
    finally:
        supervisor.close()
    if message is not None:
        raise cli_error(message, status)
    return status


def _relayed(resolved: ResolvedSession) -> bool:
    """This terminal relayed to the session's until it ends (True) or the user detaches."""
    import socket

    from kanibako.session.terminal_client import relay
    from kanibako.session.terminal_server import attach_socket

    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(str(attach_socket(resolved.project)))  # bound before the fork
    return relay(connection)


@contextmanager
def _forwarding(pid: int) -> Iterator[None]:
    """SIGINT and SIGTERM to this process go to the supervisor: the session ends in order."""

    from kanibako.session.signals import handling

    def forward(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):  # gone: its report says how it ended
            os.kill(pid, signum)

    with handling(FORWARDED, forward):
        yield
