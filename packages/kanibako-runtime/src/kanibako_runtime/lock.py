"""One session per project: an fcntl lock on a file in the project's metadata.

The kernel drops the lock when the holding process dies, so a crash never
leaves a project locked. The file also says who holds it (pid, container,
start time), written after the lock is taken, so a refused second session can
name the running one. A release empties the file: a record left in a file
nobody holds is what a holder that died (SIGKILL, a reboot) leaves behind
(:func:`stale_holder`), and the next :meth:`ProjectLock.acquire` takes the
lock all the same and keeps that record as ``ProjectLock.stale``. A holder that
is not a session (``gc`` pruning a project's snapshots) takes it with
``keep_stale=True``: its release puts the dead session's record back, so the
project stays resumable.
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kanibako_runtime.errors import ProjectLockedError

LOCK_FILE_NAME = "session.lock"
_RECORD_MAX = 4096  # far above a record's three short lines


@dataclass(frozen=True)
class LockHolder:
    """Who holds a project lock (fields may be empty if it could not be read)."""

    pid: int | None
    container: str
    started: float | None
    mode: str = ""  # what the session runs: start, shell or resume (empty: not said)

    def describe(self) -> str:
        """'pid 123, container kanibako-x, since 12:00:01' with what is known."""
        parts = []
        if self.pid:
            parts.append(f"pid {self.pid}")
        if self.container:
            parts.append(f"container {self.container}")
        if self.started:
            parts.append("since " + time.strftime("%H:%M:%S", time.localtime(self.started)))
        return ", ".join(parts) or "another process"


def _read_holder(path: Path, fd: int | None = None) -> LockHolder:
    # The record is "key=value" lines (pid, container, started): no JSON to import.
    try:
        if fd is None:
            text = path.read_text(encoding="utf-8")
        else:  # the caller's descriptor; a FIFO planted there cannot seek: read as empty
            text = os.pread(fd, _RECORD_MAX, 0).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    data = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    pid, started = data.get("pid", ""), data.get("started", "")
    try:
        started_at: float | None = float(started)
    except ValueError:
        started_at = None
    return LockHolder(
        pid=int(pid) if pid.isdigit() else None,
        container=data.get("container", ""),
        started=started_at,
        mode=data.get("mode", ""),
    )


def _probe(path: Path) -> tuple[bool, LockHolder] | None:
    """Whether the lock at ``path`` is held, and the holder its file records; None: no file."""
    try:
        # O_NONBLOCK: a FIFO in the lock's place must not hang `status`.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True, _read_holder(path, fd)
        try:  # read under the shared lock: no session can start and rewrite it meanwhile
            return False, _read_holder(path, fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_holder(path: Path) -> LockHolder | None:
    """Who holds the lock at ``path`` now, or None when nobody does (cheap; no engine)."""
    probed = _probe(path)
    return probed[1] if probed is not None and probed[0] else None


def stale_holder(path: Path) -> LockHolder | None:
    """The record of a holder that died without releasing ``path``; None when held or clean."""
    probed = _probe(path)
    if probed is None or probed[0]:
        return None  # no file, or held: its holder is alive
    return probed[1] if probed[1].pid is not None else None


def _recorded(path: Path, fd: int) -> LockHolder | None:
    holder = _read_holder(path, fd)
    return holder if holder.pid is not None else None


class ProjectLock:
    """The exclusive session lock of one project; use as a context manager.

    ``label`` names the project in the refusal message.
    """

    def __init__(self, path: Path, *, label: str = "", keep_stale: bool = False) -> None:
        self.path = path
        self.label = label or str(path.parent)
        self.keep_stale = keep_stale
        self._fd: int | None = None
        self._left_behind = b""
        self._mode = ""
        self.stale: LockHolder | None = None
        """Set by ``acquire``: the record a holder that died left in the file, if any."""

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self, *, container: str = "", mode: str = "") -> None:
        """Take the lock at once or raise ProjectLockedError naming the holder."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _read_holder(self.path)
            raise ProjectLockedError(
                f"a session is already running in {self.label} ({holder.describe()}); "
                "use 'kanibako stop' to end it"
            ) from None
        self._fd = fd
        # Taken: whoever the file still names died holding it (never a reason to refuse).
        self.stale = _recorded(self.path, fd)
        if self.keep_stale and self.stale is not None:
            self._left_behind = os.pread(fd, _RECORD_MAX, 0)
        self._mode = mode
        self.note(container=container)

    def note(self, *, container: str) -> None:
        """Record who holds the lock (called again once the container has a name, or by a new holder)."""
        if self._fd is None:
            return
        record = f"pid={os.getpid()}\ncontainer={container}\nstarted={time.time()}\n"
        if self._mode:
            record += f"mode={self._mode}\n"
        payload = record.encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, payload, 0)

    def hand_over(self) -> None:
        """Stop holding the lock in this process without releasing it.

        For the process that took the lock and then forked the one that keeps
        it (the session's supervisor): the kernel's lock belongs to the open
        file both share, so closing this copy leaves the child holding it.
        """
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def release(self) -> None:
        """Drop the lock (idempotent). The file stays; only the lock means 'running'.

        It is left empty, or with the dead session's record when ``keep_stale``.
        """
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            if self._left_behind:
                os.pwrite(fd, self._left_behind, 0)
        finally:
            os.close(fd)

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
