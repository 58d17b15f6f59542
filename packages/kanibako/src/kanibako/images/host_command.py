"""Running a host tool (debootstrap, mmdebstrap) with its output fed to a progress step.

Engine commands do not come here: they go through kanibako_runtime.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

from kanibako.images.errors import ImageError
from kanibako.step_progress import Step


def run_command(
    argv: list[str],
    step: Step,
    *,
    what: str,
    show_tail: bool = True,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run ``argv``, its output (both streams) fed line by line to ``step``.

    A failure raises ImageError("WHAT failed: <last output line>"), after
    showing the last lines of output unless ``show_tail`` is false.
    """
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=env,
        )
    except FileNotFoundError as exc:
        raise ImageError(f"{argv[0]} is not installed") from exc
    assert process.stdout is not None  # noqa: S101 (PIPE was asked for)
    with process.stdout:
        for line in process.stdout:
            step.output(line)
    if process.wait() != 0:
        if show_tail:
            step.show_tail()
        last = step.tail[-1] if step.tail else f"exit status {process.returncode}"
        raise ImageError(f"{what} failed: {last}")
