"""The project lock: exclusive, names its holder, released by release() and by process death."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kanibako_runtime import ProjectLock, ProjectLockedError, lock_holder, stale_holder


def test_second_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "box" / "session.lock"
    first = ProjectLock(path, label="/proj")
    first.acquire(container="kanibako-abc")
    started = time.monotonic()
    with pytest.raises(ProjectLockedError) as info:
        ProjectLock(path, label="/proj").acquire()
    assert time.monotonic() - started < 1.0
    message = str(info.value)
    assert "/proj" in message and "kanibako-abc" in message and "pid" in message
    first.release()


def test_lock_is_free_again_after_release(tmp_path: Path) -> None:
    path = tmp_path / "session.lock"
    with ProjectLock(path):
        assert lock_holder(path) is not None
    assert lock_holder(path) is None
    with ProjectLock(path) as again:
        assert again.held


def test_holder_reports_pid_and_container(tmp_path: Path) -> None:
    import os

    path = tmp_path / "session.lock"
    lock = ProjectLock(path)
    lock.acquire()
    lock.note(container="kanibako-x")
    holder = lock_holder(path)
    assert holder is not None
    assert holder.pid == os.getpid() and holder.container == "kanibako-x"
    assert "kanibako-x" in holder.describe()
    lock.release()
    lock.release()  # idempotent


def test_no_lock_file_means_not_held(tmp_path: Path) -> None:
    assert lock_holder(tmp_path / "missing.lock") is None


def test_the_kernel_releases_the_lock_when_the_holder_dies(tmp_path: Path) -> None:
    path = tmp_path / "session.lock"
    code = (
        "import sys, time; from pathlib import Path; from kanibako_runtime import ProjectLock;"
        f"ProjectLock(Path({str(path)!r})).acquire(); print('held', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        holder = lock_holder(path)
        assert holder is not None and holder.pid == child.pid
        with pytest.raises(ProjectLockedError):
            ProjectLock(path).acquire()
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
    assert lock_holder(path) is None
    ProjectLock(path).acquire()


def test_a_holder_that_died_leaves_a_stale_record_that_never_blocks_the_next(
    tmp_path: Path,
) -> None:
    path = tmp_path / "session.lock"
    code = (
        "from pathlib import Path; from kanibako_runtime import ProjectLock;"
        f"ProjectLock(Path({str(path)!r})).acquire(container='kanibako-dead'); import os;"
        "os.kill(os.getpid(), 9)"
    )
    child = subprocess.run([sys.executable, "-c", code], check=False)
    assert child.returncode == -9
    stale = stale_holder(path)
    assert stale is not None and stale.container == "kanibako-dead"
    assert lock_holder(path) is None
    lock = ProjectLock(path)
    lock.acquire(container="kanibako-new")  # not refused
    assert lock.stale == stale
    assert stale_holder(path) is None  # held now: nothing stale
    lock.release()
    assert stale_holder(path) is None  # released cleanly: the file is empty
    again = ProjectLock(path)
    again.acquire()
    assert again.stale is None
    again.release()


def test_a_keep_stale_holder_puts_the_dead_sessions_record_back(tmp_path: Path) -> None:
    path = tmp_path / "session.lock"
    code = (
        "from pathlib import Path; from kanibako_runtime import ProjectLock;"
        f"ProjectLock(Path({str(path)!r})).acquire(container='kanibako-dead'); import os;"
        "os.kill(os.getpid(), 9)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == -9
    stale = stale_holder(path)
    assert stale is not None
    housekeeper = ProjectLock(path, keep_stale=True)
    housekeeper.acquire()
    holder = lock_holder(path)
    assert holder is not None and holder.container == ""  # held, and by the housekeeper
    housekeeper.release()
    assert stale_holder(path) == stale  # still resumable
    session = ProjectLock(path)
    session.acquire(container="kanibako-next")
    assert session.stale == stale
    session.release()
    assert stale_holder(path) is None
    clean = ProjectLock(path, keep_stale=True)
    clean.acquire()
    clean.release()
    assert path.read_bytes() == b""  # nothing stale to keep: emptied as ever


def test_the_mode_is_recorded_and_survives_a_new_note(tmp_path: Path) -> None:
    path = tmp_path / "session.lock"
    lock = ProjectLock(path)
    lock.acquire(container="kanibako-x", mode="shell")
    lock.note(container="kanibako-x")  # the supervisor, taking over the record
    holder = lock_holder(path)
    assert holder is not None and holder.mode == "shell"
    lock.release()


def test_a_handed_over_lock_stays_held_by_the_child(tmp_path: Path) -> None:
    import os

    path = tmp_path / "session.lock"
    lock = ProjectLock(path)
    lock.acquire(container="kanibako-x")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the supervisor's side: hold the inherited lock until told
        os.close(write_end)
        os.read(read_end, 1)
        os._exit(0)
    os.close(read_end)
    lock.hand_over()
    try:
        assert not lock.held
        assert lock_holder(path) is not None  # still held: by the child
        with pytest.raises(ProjectLockedError):
            ProjectLock(path).acquire()
    finally:
        os.close(write_end)
        os.waitpid(child, 0)
    assert lock_holder(path) is None  # the child's exit released it
