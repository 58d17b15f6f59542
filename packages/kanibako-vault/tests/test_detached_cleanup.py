"""A restore's caller does not wait for deleting the replaced tree, and nothing sees it half gone."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from kanibako_vault import restore, snapshot
from kanibako_vault.store import LOCK_NAME, locked_store

Tree = dict[str, tuple[str, int, bytes]]


def _many_files(root: Path, count: int) -> None:
    root.mkdir(parents=True)
    for i in range(count):
        (root / f"f{i}").write_bytes(b"x" * 100)


def _snapshot_then_spoil(share: Path, store: Path) -> str:
    taken = snapshot(share, store).snapshot
    assert taken is not None
    _many_files(share / "junk", 500)  # makes the replaced tree slower to delete
    return taken.name


def test_the_deleting_process_holds_the_store_lock_until_the_tree_is_gone(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    doomed = tmp_path / "doomed"
    _many_files(doomed / "sub", 3000)
    # In a fresh interpreter: the detached deleter forks only where no other thread
    # runs, and other tests in this process may have left one (a hub, a proxy).
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kanibako_vault.detached import run_detached\n"
        "from kanibako_vault.store import locked_store\n"
        "from kanibako_vault.tree_ops import remove_tree\n"
        "with locked_store(Path(sys.argv[1])) as fd:\n"
        "    sys.exit(0 if run_detached(lambda: remove_tree(Path(sys.argv[2])), fd) else 3)\n"
    )
    started = subprocess.run([sys.executable, "-c", script, str(store), str(doomed)], check=False)
    assert started.returncode == 0
    # Whenever the lock is free, the tree must be gone: the deleter held it throughout.
    lock = os.open(store / LOCK_NAME, os.O_RDWR)
    try:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            assert not doomed.exists()
            break
    finally:
        os.close(lock)


def test_restore_with_detached_cleanup_leaves_no_parked_tree_once_the_lock_is_free(
    vault: tuple[Path, Path], state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    want = state(share)
    name = _snapshot_then_spoil(share, store)
    restore(share, store, name, detach_cleanup=True)
    assert state(share) == want
    with locked_store(store):  # waits for the deleting process
        pass


def test_with_other_threads_running_the_tree_is_deleted_before_restore_returns(
    vault: tuple[Path, Path], state: Callable[[Path], Tree], no_leftovers: None
) -> None:
    share, store = vault
    name = _snapshot_then_spoil(share, store)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        # A fork beside other threads is not safe: no fork, the old tree goes now.
        restore(share, store, name, detach_cleanup=True)
        parked = [p for p in share.parent.iterdir() if ".old-" in p.name]
        assert parked == []
    finally:
        stop.set()
        other.join()


def test_the_cli_returns_with_its_output_closed_and_the_old_tree_goes(
    vault: tuple[Path, Path], state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    want = state(share)
    name = _snapshot_then_spoil(share, store)
    cli = Path(sys.executable).with_name("kanibako-vault")
    where = ["--dir", str(share), "--store", str(store)]
    # capture_output reads to EOF: an inherited pipe in the deleter would hold it open.
    done = subprocess.run(
        [str(cli), "restore", *where, name], capture_output=True, check=True, timeout=60
    )
    assert b"Restored snapshot" in done.stdout
    assert state(share) == want
    with locked_store(store):
        assert [p for p in share.parent.iterdir() if ".old-" in p.name] == []
