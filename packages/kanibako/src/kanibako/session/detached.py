"""``start|shell|resume -d``: a session under its supervisor, and nobody attached.

The supervisor (kanibako.session.supervisor) gives the session a
pseudo-terminal served on ``tty.sock`` and sends its own diagnostics to
``session.log`` in the project's box. The CLI returns once the container has
run for SETTLE_SECONDS: a command that ends at once is reported as such, not
as a running session.
"""

from __future__ import annotations

import time

from kanibako.session.prepare import Echo, SessionRequest
from kanibako.session.supervisor import STARTED, Supervisor, parse_outcome, start_session

# Long enough that a command ending at once (a busy machine starts a container
# in ~1 s) is reported as such rather than as a running session.
SETTLE_SECONDS = 3.0
START_TIMEOUT = 120.0


def start_detached(request: SessionRequest, echo: Echo) -> int:
    """Start the session under a supervisor and return once it runs (exit status for the CLI)."""
    resolved, supervisor = start_session(request, terminal=True, log_stderr=True)
    try:
        _await_running(supervisor)
    finally:
        supervisor.close()
    workspace = resolved.project.workspace
    echo(f"detached session running in {workspace}: kanibako attach -p {workspace}")
    return 0


def _await_running(supervisor: Supervisor) -> None:
    from kanibako.errors import CliError, cli_error

    deadline = time.monotonic() + START_TIMEOUT
    settled: float | None = None
    while True:
        now = time.monotonic()
        if settled is not None and now >= settled:
            return
        if now >= deadline:
            raise CliError(f"the detached session did not start within {START_TIMEOUT:.0f} s")
        line = supervisor.next_report(timeout=(settled or deadline) - now)
        if line == STARTED:
            settled = settled or time.monotonic() + SETTLE_SECONDS
        elif line is not None:
            status, message = parse_outcome(line) if line else (1, None)
            if message is not None:
                raise cli_error(message, status)
            raise CliError(
                f"the detached session ended at once (status {status}); see {supervisor.log}"
            )
