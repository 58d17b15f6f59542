"""A snapshot killed midway (kill -9) leaves nothing that list shows or restore uses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kanibako_vault import UnknownSnapshotError, list_snapshots, restore, snapshot

# The child kills itself with SIGKILL once half the content has gone into the archive:
# as abrupt as `kill -9` from outside, but at a known point whatever the machine's speed.
_KILL_HALFWAY = """
import os, signal, sys
from pathlib import Path
from kanibako_vault import snapshot

def progress(done, total):
    if done >= total // 2:
        os.kill(os.getpid(), signal.SIGKILL)

snapshot(Path(sys.argv[1]), Path(sys.argv[2]), progress=progress, compression=sys.argv[3])
"""


@pytest.mark.parametrize("compression", ["zstd", "xz", "none"])
def test_kill_9_mid_snapshot_leaves_no_listed_snapshot(tmp_path: Path, compression: str) -> None:
    share, store = tmp_path / "share", tmp_path / "store"
    share.mkdir()
    for i in range(8):
        (share / f"blob-{i}").write_bytes(os.urandom(1024 * 1024))
    env = {**os.environ, "KANIBAKO_VAULT_XZ": "python"}
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_HALFWAY, str(share), str(store), compression],
        env=env,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert list(store.glob(".tmp-*")), "the interrupted temporary file should still be there"
    assert list_snapshots(store) == []
    with pytest.raises(UnknownSnapshotError):
        restore(share, store, store.glob(".tmp-*").__next__().name[5:28])
    # The next snapshot (holding the lock) sweeps the leftover and succeeds.
    result = snapshot(share, store, compression=compression)
    assert result.snapshot is not None
    assert [p.name for p in store.iterdir() if p.name.startswith(".tmp-")] == []
    assert [i.name for i in list_snapshots(store)] == [result.snapshot.name]
