"""The standalone ``kanibako-vault`` command (in-process; tests/ runs the installed one)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kanibako_vault.cli import cli


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_snapshot_list_restore_prune_round_trip(vault: tuple[Path, Path]) -> None:
    share, store = vault
    where = ["--dir", str(share), "--store", str(store)]
    assert "Created snapshot" in _run("snapshot", *where)
    assert "Unchanged since snapshot" in _run("snapshot", *where)
    listed = json.loads(_run("list", "--store", str(store), "--json"))
    assert [row["files"] for row in listed] == [6] and listed[0]["kind"] == "full"
    table = _run("list", "--store", str(store))
    assert table.splitlines()[0].split() == ["NAME", "TIME", "SIZE", "FILES", "KIND"]
    assert listed[0]["name"] in table
    (share / "top.txt").write_text("oops")
    assert "Restored snapshot" in _run("restore", *where, listed[0]["name"])
    assert (share / "top.txt").read_text() == "top\n"
    assert "Deleted" in _run("prune", *where, "--keep", "0")  # --dir accepted everywhere
    assert _run("list", "--store", str(store)).strip() == "No snapshots."


def test_errors_are_one_line_with_the_right_status(
    vault: tuple[Path, Path], tmp_path: Path
) -> None:
    share, store = vault
    runner = CliRunner()
    missing = runner.invoke(
        cli, ["snapshot", "--dir", str(tmp_path / "nope"), "--store", str(store)]
    )
    assert missing.exit_code == 2
    assert (
        missing.output.strip() == f"kanibako-vault: directory does not exist: {tmp_path / 'nope'}"
    )
    _run("snapshot", "--dir", str(share), "--store", str(store))
    unknown = runner.invoke(cli, ["restore", "--dir", str(share), "--store", str(store), "../x"])
    assert unknown.exit_code == 2 and unknown.output.count("\n") == 1
    negative = runner.invoke(cli, ["prune", "--store", str(store), "--keep", "-1"])
    assert negative.exit_code == 2 and "--keep must be 0 or more" in negative.output


def test_compression_option_picks_the_format(vault: tuple[Path, Path]) -> None:
    share, store = vault
    where = ["--dir", str(share), "--store", str(store)]
    _run("snapshot", *where, "--compression", "xz")
    (share / "top.txt").write_text("second\n")
    _run("snapshot", *where, "--compression", "none")
    (share / "top.txt").write_text("third\n")
    _run("snapshot", *where)
    suffixes = sorted(p.name.split(".", 2)[2] for p in store.glob("2*"))
    assert suffixes == ["tar", "tar.xz", "tar.zst"]
    bad = CliRunner().invoke(cli, ["snapshot", *where, "--compression", "gzip"])
    assert bad.exit_code == 2 and "'gzip' is not one of 'zstd', 'xz', 'none'" in bad.output
