"""Running engine commands whose output Kanibako reads (not containers themselves)."""

from __future__ import annotations

import subprocess

from kanibako_runtime.engine import Engine
from kanibako_runtime.errors import EngineCommandError, EngineNotFoundError


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


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    """The engine's own last error line (or its exit status when it printed nothing)."""
    lines = [line.strip() for line in (done.stderr or "").splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {done.returncode}"
