"""Running a command in a container that is already running (a warm standby), in the foreground.

The command gets this process's stdin and stdout (and a tty when stdin is a
terminal), as :func:`kanibako_runtime.foreground` gives a fresh container.
The container's own env, user and mounts apply: ``exec`` inherits them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from contextlib import suppress

from kanibako_runtime.containers import _death_signal_wrapper, remove, stdin_is_terminal
from kanibako_runtime.engine import Engine
from kanibako_runtime.errors import EngineCommandError, EngineNotFoundError


def exec_argv(
    engine: Engine, name: str, argv: Sequence[str], *, workdir: str | None, terminal: bool
) -> list[str]:
    """``<engine> exec -i [-t] [--workdir DIR] NAME ARGV...``."""
    flags = ["--interactive", *(["--tty"] if terminal else [])]
    if workdir:
        flags += ["--workdir", workdir]
    return [*engine.base_argv(), "exec", *flags, name, *argv]


def exec_foreground(
    engine: Engine,
    name: str,
    argv: Sequence[str],
    *,
    workdir: str | None = None,
    announce: Callable[[list[str]], None] | None = None,
    started: Callable[[], None] | None = None,
) -> int:
    """Run ``argv`` in the running container ``name`` to its end; its exit status.

    ``started`` runs once the engine client does (the caller's own work that
    can overlap with the engine's, such as starting its servers).

    Should this process be interrupted (a signal turned into an exception, an
    error), the whole container is removed before the exception goes on: an
    exec'd process does not end with the engine client that started it.
    """
    terminal = stdin_is_terminal()
    command = exec_argv(engine, name, argv, workdir=workdir, terminal=terminal)
    if announce is not None:
        announce(command)
    try:
        # As in foreground(): without a terminal the client gets its own
        # process group, so a Ctrl-C reaches Kanibako alone.
        process = subprocess.Popen(
            [*_death_signal_wrapper(), *command], process_group=None if terminal else 0
        )
    except FileNotFoundError as exc:
        raise EngineNotFoundError(f"container engine {engine.binary!r} is gone") from exc
    try:
        if started is not None:
            started()
        return process.wait()
    except BaseException:
        with suppress(EngineCommandError, EngineNotFoundError):
            remove(engine, name)
        process.kill()
        process.wait()
        raise
