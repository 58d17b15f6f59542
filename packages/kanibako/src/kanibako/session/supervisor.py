"""The session's supervisor: the one process that owns a session, from its lock to its end.

Every launch runs its session in a supervisor forked by the CLI (``os.setsid``:
no terminal's signals reach it, and it outlives the CLI). The CLI takes the
project lock first, so a second session is refused at once and in the
foreground; the supervisor inherits the lock (see ``ProjectLock.hand_over``)
and with it the hub, the egress proxy, credential write-back and the cleanup:
whatever happens to the CLI or its terminal, the session ends whole.

The supervisor's stdio is one of two things:

- the CLI's own (``terminal=False``: a launch whose stdin is not a terminal,
  ``kanibako shell -c CMD | ...``): the pipes reach the container unchanged;
- a pseudo-terminal of its own (``terminal=True``), served on ``tty.sock``
  (kanibako.session.terminal_server): a foreground launch in a terminal relays
  it at once, ``kanibako attach`` later, ``-d`` not at all.

The supervisor reports on a pipe: ``started`` once the container is starting,
then its exit status, written after the lock is released and the standard
streams are closed (a CLI that exits on it leaves the project free and
``$(kanibako shell -c ...)`` complete).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kanibako.session.prepare import ResolvedSession, SessionRequest
from kanibako_runtime import ProjectLock

if TYPE_CHECKING:
    from kanibako.session.terminal_server import TerminalServer

LOG_NAME = "session.log"
STARTED = "started"


@dataclass
class Supervisor:
    """The CLI's side: the supervisor's pid and the read end of its report pipe."""

    pid: int
    report: int
    log: Path
    _pending: bytes = b""

    def next_report(self, timeout: float | None = None) -> str | None:
        """The next line the supervisor reports; "" when it is gone; None on timeout."""
        while b"\n" not in self._pending:
            ready, _, _ = select.select([self.report], [], [], timeout)
            if not ready:
                return None
            data = os.read(self.report, 64)
            if not data:
                return ""
            self._pending += data
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode()

    def outcome(self) -> tuple[int, str | None]:
        """Block until the session's exit status, and the one-line failure that ended it, if any."""
        while True:
            line = self.next_report()
            if line == "":
                return 1, f"the session's supervisor (pid {self.pid}) died; see {self.log}"
            if line and line != STARTED:
                return parse_outcome(line)

    def close(self) -> None:
        os.close(self.report)


def start_session(
    request: SessionRequest, *, terminal: bool, log_stderr: bool = False
) -> tuple[ResolvedSession, Supervisor]:
    """What every launch does in the CLI: resolve, take the lock, fork the supervisor.

    Bad input and a second session fail here, in the CLI. With ``terminal``, the
    session's pty is served on its ``tty.sock`` (bound before the fork, so a
    client may connect at once).
    """
    from kanibako.session.prepare import resolve
    from kanibako.session.run import take_lock

    resolved = resolve(request)
    lock = take_lock(resolved)
    listener = None
    if terminal:
        from kanibako.session.terminal_server import attach_socket
        from kanibako_helpers.session_dir import bind_listener

        listener = bind_listener(attach_socket(resolved.project))
    return resolved, start_supervisor(resolved, lock, terminal=listener, log_stderr=log_stderr)


def start_supervisor(
    resolved: ResolvedSession,
    lock: ProjectLock,
    *,
    terminal: socket.socket | None,
    log_stderr: bool = False,
) -> Supervisor:
    """Fork the supervisor of the session ``lock`` (held) was taken for; this process lets go of it.

    ``terminal``: the listening socket the session's pty is to be served on, or
    None for the CLI's stdio; ``log_stderr`` sends the supervisor's stderr to the
    project's ``session.log`` (a detached session: nobody is watching).
    """
    log = resolved.project.metadata_dir / LOG_NAME
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _supervise(resolved, lock, write_end, listener=terminal, log=log, log_stderr=log_stderr)
    os.close(write_end)
    lock.hand_over()
    if terminal is not None:
        terminal.close()
    return Supervisor(pid, read_end, log)


def _supervise(
    resolved: ResolvedSession,
    lock: ProjectLock,
    report: int,
    *,
    listener: socket.socket | None,
    log: Path,
    log_stderr: bool,
) -> None:
    """The supervisor's whole life; never returns."""
    outcome = "1"
    server = None
    reported = False

    def ended(status: int) -> None:
        nonlocal reported
        reported = True
        _report(report, str(status))

    try:
        os.setsid()
        lock.note(container=resolved.name)  # the holder is the supervisor now
        if log_stderr:
            _stderr_to(log)
        if listener is not None:
            server = _serve_terminal(resolved, listener, stderr_to_pty=not log_stderr)
        from kanibako.session.run import echo_stderr, run_locked

        def closing() -> None:
            _silence(log)
            if server is not None:
                server.close()

        outcome = str(
            run_locked(
                resolved,
                lock,
                echo_stderr,
                started=lambda: _report(report, STARTED),
                closing=closing,
                ended=ended,
            )
        )
    except BaseException as exc:  # the supervisor's last word, whatever ended it
        outcome = _failure(exc, log)
        lock.release()
    finally:
        if not reported:
            _report(report, outcome)
        os._exit(parse_outcome(outcome)[0])


def _serve_terminal(
    resolved: ResolvedSession, listener: socket.socket, *, stderr_to_pty: bool
) -> TerminalServer:
    import pty

    from kanibako.session.terminal_server import TerminalServer, attach_socket, set_winsize

    master, slave = pty.openpty()
    set_winsize(slave, 24, 80)  # until a client says its size
    os.dup2(slave, 0)
    os.dup2(slave, 1)
    if stderr_to_pty:
        os.dup2(slave, 2)
    os.close(slave)
    server = TerminalServer(master, listener, attach_socket(resolved.project))
    server.start()
    return server


def _stderr_to(log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)


def _silence(log: Path) -> None:
    """Let go of the session's stdio: stdin and stdout to /dev/null, stderr to the log."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away
            stream.flush()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    try:
        _stderr_to(log)
    except OSError:
        os.dup2(0, 2)


def _report(report: int, line: str) -> None:
    with contextlib.suppress(OSError):  # the CLI that started us is gone: nobody to tell
        os.write(report, f"{line}\n".encode())


def parse_outcome(line: str) -> tuple[int, str | None]:
    """A reported ``STATUS`` or ``STATUS MESSAGE`` line."""
    code, _, message = line.partition(" ")
    return (int(code) if code.lstrip("-").isdigit() else 1), message or None


def _failure(exc: BaseException, log: Path) -> str:
    """What the CLI says about ``exc`` (it prints it): an exit status and one line."""
    import click

    from kanibako.errors import as_cli_error

    if isinstance(exc, SystemExit):
        return str(exc.code if isinstance(exc.code, int) else 1)
    translated = exc if isinstance(exc, click.ClickException) else as_cli_error(exc)
    if translated is not None:
        return f"{translated.exit_code} {' '.join(translated.format_message().split())}"
    import traceback

    traceback.print_exception(exc)  # into the log when the session's stdio is closed
    return f"1 internal error ({type(exc).__name__}: {exc}); see {log}"
