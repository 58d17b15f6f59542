"""A snapshot killed midway (kill -9) leaves nothing that list shows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kanibako_vault import list_snapshots, snapshot


def test_kill_9_mid_snapshot_leaves_no_listed_snapshot(tmp_path: Path) -> None:
    share, store = tmp_path / "share", tmp_path / "store"
    share.mkdir()
    for i in range(8):
        # Incompressible data keeps xz busy long enough to be caught in the act.
        (share / f"blob-{i}").write_bytes(os.urandom(4 * 1024 * 1024))
    env = {**os.environ, "KANIBAKO_VAULT_XZ": "python"}
    code = "import sys; from pathlib import Path; from kanibako_vault import snapshot; snapshot(Path(sys.argv[1]), Path(sys.argv[2]))"
    proc = subprocess.Popen([sys.executable, "-c", code, str(share), str(store)], env=env)
    deadline = time.monotonic() + 30
    while not list(store.glob(".tmp-*")):
        assert proc.poll() is None, "snapshot finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(store.glob(".tmp-*")), "the interrupted temporary file should still be there"
    assert list_snapshots(store) == []
    info = snapshot(share, store).snapshot  # the next snapshot cleans up and succeeds
    assert info is not None
    assert not list(store.glob(".tmp-*"))
    assert [i.name for i in list_snapshots(store)] == [info.name]
