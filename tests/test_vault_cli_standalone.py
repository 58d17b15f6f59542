"""The installed ``kanibako-vault`` command, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VAULT = str(Path(sys.executable).with_name("kanibako-vault"))


def _vault(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([VAULT, *args], capture_output=True, text=True, check=False)
    assert done.returncode == code, done.stderr
    return done


def test_standalone_command_round_trip(tmp_path: Path) -> None:
    share, store = tmp_path / "share", tmp_path / "store"
    share.mkdir()
    (share / "a.txt").write_text("one\n")
    where = ["--dir", str(share), "--store", str(store)]
    assert "Created snapshot" in _vault("snapshot", *where).stdout
    (share / "a.txt").write_text("two\n")
    _vault("snapshot", *where)
    rows = json.loads(_vault("list", "--store", str(store), "--json").stdout)
    assert [r["kind"] for r in rows] == ["full", "incremental"]
    _vault("restore", *where, rows[0]["name"])
    assert (share / "a.txt").read_text() == "one\n"
    subprocess.run(["tar", "-xf", rows[0]["name"] + ".tar.zst"], cwd=store, check=True)
    assert (store / "data" / "a.txt").read_text() == "one\n"
    assert "Deleted" in _vault("prune", "--store", str(store), "--keep", "0").stdout


def test_standalone_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "20260101T000000.000000Z.tar.xz").write_bytes(b"\xfd7zXZ\x00 damaged")
    share = tmp_path / "share"
    share.mkdir()
    failed = _vault(
        "restore", "--dir", str(share), "--store", str(store), "20260101T000000.000000Z", code=1
    )
    assert failed.stderr.startswith("kanibako-vault: 20260101T000000.000000Z.tar.xz")
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    missing = _vault("list", "--store", str(tmp_path / "nope"), code=2)
    assert missing.stderr == f"kanibako-vault: snapshot store does not exist: {tmp_path / 'nope'}\n"
