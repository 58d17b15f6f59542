"""Turning Ctrl-C, SIGTERM and SIGHUP into one orderly unwinding of the session.

The first signal raises :class:`SessionInterrupted` in the main thread, so
every ``finally`` and context manager of the pipeline runs (stop container,
write credentials back, stop hub, release lock). Further signals during that
cleanup are ignored: a second Ctrl-C must not cut the cleanup short.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class SessionInterrupted(BaseException):
    """A signal ended the session; ``exit_code`` is 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.exit_code = 128 + signum


@contextmanager
def signals_unwind() -> Iterator[None]:
    """Within the block, the first INT/TERM/HUP raises SessionInterrupted; later ones wait."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        raise SessionInterrupted(signum)

    with handling(HANDLED, handler):
        yield


@contextmanager
def handling(
    signals: tuple[signal.Signals, ...], handler: Callable[[int, FrameType | None], None]
) -> Iterator[None]:
    """``handler`` for ``signals`` within the block; the previous handlers after it."""
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
