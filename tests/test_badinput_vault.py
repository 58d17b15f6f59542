"""A FIFO named like a snapshot in the store: named or skipped, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VAULT = str(Path(sys.executable).with_name("kanibako-vault"))


def _vault(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VAULT, *args], capture_output=True, text=True, check=False, timeout=20)


def test_fifo_in_the_snapshot_store_does_not_hang(tmp_path: Path) -> None:
    # Before: list, snapshot, restore and prune all waited forever on the FIFO.
    store, tree = tmp_path / "store", tmp_path / "tree"
    tree.mkdir()
    (tree / "a").write_text("kept")
    assert _vault("snapshot", "--dir", str(tree), "--store", str(store)).returncode == 0
    name = "20990101T000000.000000Z"
    os.mkfifo(store / f"{name}.tar.xz")
    listed = _vault("list", "--store", str(store))
    assert listed.returncode == 0 and "damaged" in listed.stdout, listed
    restored = _vault("restore", "--dir", str(tree), "--store", str(store), name)
    assert restored.returncode == 1, restored
    assert restored.stderr == f"kanibako-vault: {name}.tar.xz: not a regular file\n"
    assert (tree / "a").read_text() == "kept"
