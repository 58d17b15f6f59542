"""Running engine commands whose output Kanibako reads (not containers themselves)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from kanibako_runtime.engine import Engine
from kanibako_runtime.errors import (
    EngineCommandError,
    EngineNotFoundError,
    EngineUnreachableError,
)

LineSink = Callable[[str], None]
"""Where a streamed engine command's output goes, one line at a time."""


def engine_call(
    engine: Engine, args: list[str], *, check: bool = True, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``<engine> ARGS`` capturing text output; a failure raises with the engine's reason."""
    argv = [*engine.base_argv(), *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    except FileNotFoundError as exc:
        raise EngineNotFoundError(f"container engine {engine.binary!r} is gone") from exc
    except subprocess.TimeoutExpired as exc:
        raise EngineCommandError(f"'{engine.kind} {args[0]}' took longer than {timeout}s") from exc
    if check and done.returncode != 0:
        raise EngineCommandError(f"'{engine.kind} {' '.join(args[:2])}' failed: {last_line(done)}")
    return done


def engine_stream(
    engine: Engine,
    args: list[str],
    *,
    what: str,
    on_line: LineSink | None = None,
    stdin: int | None = None,
) -> str:
    """Run ``<engine> ARGS``; its output (both streams); a failure raises "WHAT failed: <reason>".

    With ``on_line`` each line goes there as it comes (a long pull or build
    shows progress); without, the output is only kept for the failure reason.
    """
    argv = [*engine.base_argv(), *args]
    lines: list[str] = []
    try:
        process = subprocess.Popen(
            argv,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except FileNotFoundError as exc:
        raise EngineNotFoundError(f"container engine {engine.binary!r} is gone") from exc
    assert process.stdout is not None  # noqa: S101 (PIPE was asked for)
    with process.stdout:
        for line in process.stdout:
            if line.strip():
                # Only the last lines matter for the reason; a build prints thousands.
                lines = [*lines[-49:], line.rstrip()]
            if on_line is not None:
                on_line(line)
    if process.wait() != 0:
        reason = lines[-1].strip() if lines else f"exit status {process.returncode}"
        raise EngineCommandError(f"{what} failed: {reason}")
    return "\n".join(lines)


REACH_TIMEOUT = 10.0
"""Seconds a daemon that accepts the connection may take to answer (a dead one fails at once)."""


def ensure_reachable(engine: Engine) -> None:
    """Fail at once when the engine's daemon or service does not answer.

    ``version`` asks the server for its version: Docker's CLI and ``podman
    --remote`` connect to their daemon for it, local Podman answers itself.
    Callers run it before any long step, so a stopped Docker daemon is one
    line within a second, not a failure after minutes of bootstrapping.
    """
    args = ["version", "--format", "{{.Server.Version}}"]
    try:
        done = engine_call(engine, args, check=False, timeout=REACH_TIMEOUT)
    except EngineCommandError as exc:
        raise EngineUnreachableError(f"the {engine.kind} engine does not answer: {exc}") from exc
    if done.returncode != 0 or not done.stdout.strip():
        raise EngineUnreachableError(
            f"the {engine.kind} engine is not reachable: {last_line(done)}"
        )


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    """The engine's own last error line (or its exit status when it printed nothing)."""
    lines = [line.strip() for line in (done.stderr or "").splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {done.returncode}"
