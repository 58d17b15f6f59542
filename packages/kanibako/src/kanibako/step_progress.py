"""Telling the user what long work (pull, build, bootstrap) is doing, and for how long.

Each step prints one line when it starts and one when it ends, with its
duration, on stderr. On a terminal a live line under it shows the elapsed time
and the latest output of the tool doing the work; when stderr is piped there
is no live line. With ``verbose`` the tool's whole output is passed through.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

TAIL_LINES = 25
_REFRESH = 0.1  # seconds between live-line redraws


def format_duration(seconds: float) -> str:
    """``0.4 s``, ``12 s``, ``3 min 05 s``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


class Step:
    """One running step: feed it the tool's output lines."""

    def __init__(self, owner: StepProgress, doing: str) -> None:
        self._owner = owner
        self.doing = doing
        self.started = owner.clock()
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._drawn = 0.0

    @property
    def elapsed(self) -> float:
        """Seconds since the step started."""
        return self._owner.clock() - self.started

    def output(self, line: str) -> None:
        """One line of the tool's output (kept for the failure report, shown live)."""
        line = line.rstrip()
        if not line:
            return
        self.tail.append(line)
        owner = self._owner
        if owner.verbose:
            owner.write(line + "\n")
        elif owner.live:
            now = owner.clock()
            if now - self._drawn >= _REFRESH:
                self._drawn = now
                owner.draw_live(f"  [{format_duration(self.elapsed)}] {line}")

    def show_tail(self) -> None:
        """Print the last lines of output (after a failure, when they were not shown)."""
        if self._owner.verbose:
            return
        self._owner.clear_live()
        for line in self.tail:
            self._owner.write(f"  | {line}\n")


class StepProgress:
    """Step lines on stderr; a live progress line only on a terminal."""

    def __init__(
        self,
        *,
        verbose: bool = False,
        stream: TextIO | None = None,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.verbose = verbose
        self.live = (not verbose and _is_terminal(self.stream)) if live is None else live
        self.clock = clock
        self._live_width = 0

    def write(self, text: str) -> None:
        """Write and flush (progress must appear while the work runs)."""
        self.stream.write(text)
        self.stream.flush()

    def note(self, message: str) -> None:
        """One line about what is happening."""
        self.clear_live()
        self.write(f"kanibako: {message}\n")

    def draw_live(self, text: str) -> None:
        """Replace the live line (terminal only), cut to the terminal's width."""
        width = _terminal_width(self.stream) - 1
        text = text[:width]
        self.write("\r" + text + " " * max(0, self._live_width - len(text)) + "\r")
        self._live_width = len(text)

    def clear_live(self) -> None:
        """Erase the live line, if one is shown."""
        if self._live_width:
            self.write("\r" + " " * self._live_width + "\r")
            self._live_width = 0

    @contextmanager
    def step(self, doing: str) -> Iterator[Step]:
        """Announce ``doing``; on exit say how long it took, or that it failed."""
        self.note(f"{doing} ...")
        step = Step(self, doing)
        try:
            yield step
        except BaseException as exc:
            self.clear_live()
            # The engine's reason ends with its most telling part ("no such host",
            # "manifest unknown"); the whole line is in the error itself.
            reason = str(exc).rsplit(": ", 1)[-1].strip()
            suffix = f" ({reason})" if reason else ""
            self.note(f"{doing}: failed after {format_duration(step.elapsed)}{suffix}")
            raise
        self.clear_live()
        self.note(f"{doing}: done in {format_duration(step.elapsed)}")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80
