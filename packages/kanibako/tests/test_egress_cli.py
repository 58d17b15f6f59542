"""``kanibako net``: allow/deny write the right file, list shows sources, bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kanibako.cli import cli
from kanibako.session.egress.decision_log import DecisionLog
from kanibako_paths import load_paths, resolve_project


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    work = tmp_path / "w"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["net", *args])
    return result.exit_code, result.stdout, result.stderr


def _files(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("bad", ["", "a b", "host:0", "host:65536", "@nope", " x"])
def test_bad_destinations_exit_2_with_one_line_and_write_nothing(
    workspace: Path, bad: str, tmp_path: Path
) -> None:
    before = _files(tmp_path)
    for command in ("allow", "deny"):
        for scope in ((), ("--global",)):
            status, out, err = _run(command, bad, *scope)
            assert status == 2, err
            assert len(err.strip().splitlines()) == 1 and err.startswith("kanibako: ")
            assert out == ""
    assert _files(tmp_path) == before


def test_allow_and_deny_show_up_in_list_with_their_source(workspace: Path) -> None:
    assert _run("allow", "@github")[0] == 0
    assert _run("allow", "10.1.2.3:8080", "--global")[0] == 0
    assert _run("deny", "@npm")[0] == 0
    status, out, _ = _run("list", "--json")
    assert status == 0
    listing = json.loads(out)
    assert listing["mode"] == "allowlist"
    entries = {(e["destination"], e["verdict"]): e["source"] for e in listing["entries"]}
    assert entries[("github.com", "allow")] == "@github (project)"
    assert entries[("10.1.2.3:8080", "allow")] == "global"
    assert entries[("registry.npmjs.org", "deny")] == "@npm (project)"
    assert entries[("pypi.org", "allow")] == "@pypi (default)"
    table = _run("list")[1]
    assert "network = allowlist" in table and "github.com" in table


def test_log_shows_each_destination_with_count_and_helper(workspace: Path) -> None:
    project = resolve_project(load_paths(), workspace)
    log = DecisionLog(project.metadata_dir / "egress-log.jsonl")
    log.record("evil.example:443", "deny", 3, "not on the allowlist")
    log.record("evil.example:443", "deny", 3, "not on the allowlist")
    log.close()
    rows = json.loads(_run("log", "--json")[1])
    assert [(r["destination"], r["verdict"], r["helper"], r["count"]) for r in rows] == [
        ("evil.example:443", "deny", 3, 2)
    ]
    assert "helper 3" in _run("log")[1]


def test_network_mode_is_a_config_key(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "network", "sideways"])
    assert result.exit_code == 2 and "allowlist, open or none" in result.stderr
    assert CliRunner().invoke(cli, ["config", "network", "none"]).exit_code == 0
    assert json.loads(_run("list", "--json")[1])["mode"] == "none"


def test_net_log_prints_a_planted_destination_escaped(workspace: Path) -> None:
    # The proxy logs only names it parsed, but the log is a file: whatever it holds
    # is shown inert.
    project = resolve_project(load_paths(), workspace)
    log = DecisionLog(project.metadata_dir / "egress-log.jsonl")
    log.record("x\x1b]52;c;ZWNobyBwd25lZA==\x07\nkanibako: fine", "deny", 2, "not allowed")
    log.close()
    result = CliRunner().invoke(cli, ["net", "log"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2  # the header and the one row
    assert "\x1b" not in lines[1] and "\x07" not in lines[1]
    assert "x\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\nkanibako: fine" in lines[1]
