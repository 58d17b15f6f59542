"""Finishing a restore after its command returns: work done by a detached process."""

from __future__ import annotations

import os
from collections.abc import Callable


def run_detached(work: Callable[[], object], lock_fd: int) -> bool:
    """Run ``work`` in a detached process that holds the store's lock until it is done.

    A restore's caller then waits only for the new tree to be in place, not for it to
    reach the disk or for the old tree to be deleted (each about as long as writing
    the tree); the next vault operation on the store waits for the lock, so it never
    meets that work half done, and if the process dies, that operation finishes the
    work (see recovery). False, and nothing started, where a fork is not safe (other
    threads running): the caller does the work itself.
    """
    import threading

    if threading.active_count() > 1:
        return False
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child, which only forks again
        try:
            if os.fork() == 0:
                _work_as_daemon(work, lock_fd)
        finally:
            os._exit(0)
    os.waitpid(child, 0)  # the grandchild is adopted by init: no zombie left behind
    return True


def _work_as_daemon(work: Callable[[], object], lock_fd: int) -> None:  # pragma: no cover
    try:
        os.setsid()
        # Keep only the lock: an inherited pipe (the caller's captured stdout) would
        # otherwise stay open, and whoever reads it would wait for this work.
        null = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        os.closerange(3, lock_fd)
        os.closerange(lock_fd + 1, os.sysconf("SC_OPEN_MAX"))
        work()
    finally:
        os._exit(0)
