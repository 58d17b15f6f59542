"""The progress line, seen as a user sees it: on a real terminal (a pty), and piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

_COMMAND = "from kanibako_vault.cli import main; main()"


def _snapshot(share: Path, store: Path, *, on_terminal: bool) -> bytes:
    """Run a slow snapshot (xz in Python on random data); what appeared on its stderr."""
    argv = [sys.executable, "-c", _COMMAND, "snapshot", "--dir", str(share), "--store", str(store)]
    argv += ["--compression", "xz"]
    env = {**os.environ, "KANIBAKO_VAULT_XZ": "python"}
    if not on_terminal:
        done = subprocess.run(argv, env=env, capture_output=True, check=True)
        return done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=follower) as proc:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait() == 0
    os.close(leader)
    return seen


def _slow_tree(tmp_path: Path) -> Path:
    share = tmp_path / "share"
    share.mkdir()
    for i in range(6):
        (share / f"blob-{i}").write_bytes(os.urandom(2 * 1024 * 1024))
    return share


def test_a_long_snapshot_shows_progress_on_a_terminal_and_erases_it(tmp_path: Path) -> None:
    seen = _snapshot(_slow_tree(tmp_path), tmp_path / "store", on_terminal=True)
    assert b"kanibako-vault: snapshot " in seen and b"% (" in seen
    assert seen.endswith(b"\r\x1b[K")  # the line is erased at the end


def test_piped_the_same_snapshot_prints_no_progress(tmp_path: Path) -> None:
    assert _snapshot(_slow_tree(tmp_path), tmp_path / "store", on_terminal=False) == b""


def test_a_quick_snapshot_shows_nothing_even_on_a_terminal(vault: tuple[Path, Path]) -> None:
    share, store = vault
    assert _snapshot(share, store, on_terminal=True) == b""
