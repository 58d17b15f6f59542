"""State commands end to end through the CLI (in-process, real files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.state_cli import ok, run


@pytest.fixture
def project(isolated_home: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "proj"
    directory.mkdir()
    (directory / "main.py").write_text("print('hi')\n")
    return directory


def _status(cwd: Path, *extra: str) -> dict[str, str]:
    data: dict[str, str] = json.loads(ok(*extra, "status", "--json", cwd=cwd))
    return data


def test_status_shows_mode_paths_and_image(isolated_home: Path, project: Path) -> None:
    status = _status(project)
    assert status["mode"] == "account-centric"
    assert status["project"] == str(project)
    assert status["image"] == "ghcr.io/doctorjei/kanibako-base:latest (default)"
    assert status["metadata"].startswith(str(isolated_home / ".local/share/kanibako/boxes/"))
    assert _status(project, "-i", "mine:1")["image"] == "mine:1 (cli)"
    text = ok("status", cwd=project)
    assert "Mode:" in text and "account-centric" in text


def test_init_local_and_new_local(project: Path, tmp_path: Path) -> None:
    assert "decentralized" in ok("init", "--local", "-p", str(project))
    assert (project / ".kanibako/project.toml").is_file()
    assert (project / "vault/share-rw").is_dir()
    assert _status(project)["mode"] == "decentralized"
    fresh = tmp_path / "fresh"
    ok("new", "--local", str(fresh), "--no-vault")
    assert _status(fresh)["vault_read_write"] == "disabled"
    assert not (fresh / "vault").exists()
    result = run("new", "--local", str(project))
    assert result.exit_code == 2
    assert "not empty" in result.stderr


def test_config_get_set_show_clear_and_global(project: Path) -> None:
    assert ok("config", "image", cwd=project).strip() == "ghcr.io/doctorjei/kanibako-base:latest"
    ok("config", "--global", "image", "global:1", cwd=project)
    assert ok("config", "container_image", cwd=project).strip() == "global:1"
    ok("config", "image", "myimage:v2", cwd=project)
    assert ok("config", "image", cwd=project).strip() == "myimage:v2"
    shown = json.loads(ok("config", "--show", "--json", cwd=project))
    assert shown["container_image"] == {"value": "myimage:v2", "source": "project"}
    assert shown["target_name"] == {"value": "", "source": "default"}
    ok("config", "--clear", cwd=project)
    assert ok("config", "image", cwd=project).strip() == "global:1"
    ok("config", "--global", "--unset", "image", cwd=project)
    assert ok("config", "image", cwd=project).strip().endswith("kanibako-base:latest")
    ok("config", "target_name", "no_agent", cwd=project)
    assert "target_name = 'no_agent'  (project)" in ok("config", cwd=project)


@pytest.mark.parametrize("where", [[], ["--global"]])
def test_an_unknown_target_is_refused_when_it_is_set(project: Path, where: list[str]) -> None:
    before = ok("config", "--show", "--json", cwd=project)
    # Not a plugin's name: CI installs the example plugins (aider, codex, goose).
    result = run("config", *where, "target", "no-such-target", cwd=project)
    assert result.exit_code == 2, result.output
    line = result.stderr
    assert line.startswith("kanibako: unknown target 'no-such-target' (known: "), line
    assert "claude" in line and "no_agent" in line
    assert line.endswith("; '' to auto-detect)\n") and line.count("\n") == 1
    assert ok("config", "--show", "--json", cwd=project) == before  # nothing written


def test_project_write_initializes_the_project_first(project: Path) -> None:
    assert _status(project)["initialized"].startswith("no")
    ok("env", "set", "EDITOR", "vim", cwd=project)
    status = _status(project)
    assert status["initialized"] == "yes"
    assert (Path(status["shell"]) / ".bashrc").is_file()
    assert (project / "vault/share-ro").is_dir()


def test_env_set_get_list_unset_with_global_merge(project: Path) -> None:
    ok("env", "set", "--global", "EDITOR", "nano", cwd=project)
    ok("env", "set", "--global", "LANG", "C.UTF-8", cwd=project)
    ok("env", "set", "EDITOR", "vim -u NONE", cwd=project)
    ok("env", "set", "KANIBAKO_PS1", r"(p) \u:\w\$ ", cwd=project)
    assert ok("env", "get", "EDITOR", cwd=project) == "vim -u NONE\n"
    assert ok("env", "get", "--global", "EDITOR", cwd=project) == "nano\n"
    listed = json.loads(ok("env", "list", "--json", cwd=project))
    assert listed["EDITOR"] == {"value": "vim -u NONE", "source": "project"}
    assert listed["LANG"] == {"value": "C.UTF-8", "source": "global"}
    assert listed["KANIBAKO_PS1"]["value"] == r"(p) \u:\w\$ "
    ok("env", "unset", "EDITOR", cwd=project)
    assert ok("env", "get", "EDITOR", cwd=project) == "nano\n"
    missing = run("env", "get", "NOPE", cwd=project)
    assert missing.exit_code == 2
    assert "NOPE is not set" in missing.stderr


def test_box_get_set_info(project: Path) -> None:
    assert ok("box", "get", "layout", cwd=project) == "default\n"
    ok("box", "set", "layout", "robust", cwd=project)
    ok("box", "set", "auth", "distinct", cwd=project)
    ok("box", "set", "shell", str(project.parent / "custom-shell"), cwd=project)
    ok("box", "set", "vault_enabled", "false", cwd=project)
    info = json.loads(ok("box", "info", "--json", cwd=project))
    assert info["layout"] == "robust"
    assert info["auth"] == "distinct"
    assert info["shell"] == str(project.parent / "custom-shell")
    assert info["vault_enabled"] is False
    assert ok("box", "get", "vault_enabled", cwd=project) == "false\n"
    for key in ("mode", "metadata", "project_hash", "global_shared", "local_shared"):
        assert ok("box", "get", key, cwd=project).strip() == str(info[key])
    assert _status(project)["auth"] == "distinct"


def test_box_list_orphan_and_purge(project: Path, tmp_path: Path) -> None:
    ok("init", cwd=project)
    other = tmp_path / "other"
    other.mkdir()
    ok("init", "--local", cwd=other)
    listed = {e["name"]: e for e in json.loads(ok("box", "list", "--json"))}
    assert listed["proj"]["mode"] == "account-centric"
    assert listed["other"]["mode"] == "decentralized"
    assert all(e["workspace_exists"] for e in listed.values())
    assert "No orphaned projects." in ok("box", "orphan")
    shutil.rmtree(project)  # the vault lived inside it
    orphans = json.loads(ok("box", "orphan", "--json"))
    assert [o["workspace"] for o in orphans] == [str(project)]
    assert "MISSING" in ok("box", "list")
    ok("box", "purge", "--orphans", "--yes")
    assert [e["name"] for e in json.loads(ok("box", "list", "--json"))] == ["other"]


def _helper_logs(isolated_home: Path, cwd: Path) -> list[Path]:
    """The hub's message log and registry for the project at ``cwd``, written as the hub does."""
    digest = ok("box", "get", "project_hash", cwd=cwd).strip()
    logs = isolated_home / ".local/share/kanibako/helper-logs"
    logs.mkdir(parents=True, exist_ok=True)
    made = [logs / f"{digest}.jsonl", logs / f"{digest}.helpers.json"]
    for path in made:
        path.write_text("{}\n")
    return made


def test_box_purge_removes_the_projects_helper_log_and_registry(
    isolated_home: Path, project: Path, tmp_path: Path
) -> None:
    ok("init", cwd=project)
    other = tmp_path / "other"
    other.mkdir()
    ok("init", cwd=other)
    mine, theirs = _helper_logs(isolated_home, project), _helper_logs(isolated_home, other)
    out = ok("box", "purge", "--yes", cwd=project)
    assert not any(p.exists() for p in mine)
    assert all(f"Removed {p}" in out for p in mine)
    assert all(p.exists() for p in theirs)  # another project's record stays


def test_box_migrate_between_modes_and_duplicate(project: Path, tmp_path: Path) -> None:
    ok("env", "set", "MARK", "carried", cwd=project)
    ok("workset", "create", "ws", str(tmp_path / "ws"))
    ok("box", "migrate", "--to", "decentralized", cwd=project)
    assert _status(project)["mode"] == "decentralized"
    assert ok("env", "get", "MARK", cwd=project) == "carried\n"
    ok("box", "migrate", "--to", "workset", "--workset", "ws", cwd=project)
    moved = tmp_path / "ws/workspaces/proj"
    assert not project.exists()
    assert _status(moved)["mode"] == "workset (ws)"
    assert ok("env", "get", "MARK", cwd=moved) == "carried\n"
    assert (moved / "main.py").exists()
    back = tmp_path / "back"
    ok("box", "migrate", str(moved), str(back), "--to", "account-centric")
    assert _status(back)["mode"] == "account-centric"
    assert ok("env", "get", "MARK", cwd=back) == "carried\n"
    copy = tmp_path / "copy"
    ok("box", "duplicate", "--to", "decentralized", "-p", str(back), str(back), str(copy))
    assert _status(copy)["mode"] == "decentralized"
    assert _status(back)["mode"] == "account-centric"
    nothing = run("box", "migrate", cwd=back)
    assert nothing.exit_code == 2
    assert "nothing to migrate" in nothing.stderr


def test_box_archive_and_restore(project: Path, tmp_path: Path) -> None:
    ok("env", "set", "KEEP", "me", cwd=project)
    archive = tmp_path / "state.tar.gz"
    ok("box", "archive", "-o", str(archive), cwd=project)
    ok("env", "set", "KEEP", "changed", cwd=project)
    refused = run("box", "restore", str(archive), cwd=project)
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    ok("box", "restore", str(archive), "--force", cwd=project)
    assert ok("env", "get", "KEEP", cwd=project) == "me\n"


def test_workset_lifecycle(project: Path, tmp_path: Path) -> None:
    ok("workset", "create", "research", str(tmp_path / "research"))
    ok("workset", "add", "research", str(project), "--name", "paper-a")
    workspace = tmp_path / "research/workspaces/paper-a"
    assert (workspace / "main.py").exists()
    assert _status(workspace / ".")["mode"] == "workset (research)"
    listed = json.loads(ok("workset", "list", "--json"))
    assert listed == [
        {"name": "research", "root": str(tmp_path / "research"), "auth": "shared", "projects": 1}
    ]
    ok("workset", "auth", "research", "distinct")
    assert ok("workset", "auth", "research") == "distinct\n"
    assert _status(workspace)["auth"] == "distinct"
    info = json.loads(ok("workset", "info", "research", "--json"))
    assert [p["name"] for p in info["projects"]] == ["paper-a"]
    ok("workset", "remove", "research", "paper-a")
    assert _status(workspace)["mode"] == "account-centric"
    ok("workset", "delete", "research")
    assert json.loads(ok("workset", "list", "--json")) == []
    unknown = run("workset", "info", "research")
    assert unknown.exit_code == 2
    assert "no working set named 'research'" in unknown.stderr


def test_shared_init_and_list(isolated_home: Path) -> None:
    ok("shared", "init", "pip")
    ok("shared", "init", "--agent", "claude", "plugins")
    caches = {(c["scope"], c["name"]): c for c in json.loads(ok("shared", "list", "--json"))}
    assert {n for s, n in caches if s == "global"} == {"pip", "cargo", "npm", "uv"}
    assert caches[("global", "pip")]["exists"] is True
    assert caches[("global", "npm")]["exists"] is False
    assert caches[("global", "pip")]["container_path"] == "/home/agent/.cache/pip"
    plugins = isolated_home / ".local/share/kanibako/shared/claude/plugins"
    assert plugins.is_dir()
    unknown = run("shared", "init", "maven")
    assert unknown.exit_code == 2
    assert "unknown shared cache 'maven'" in unknown.stderr


def test_paths_overrides_move_where_state_lives(
    isolated_home: Path, project: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    ok("config", "--global", "data_path", str(data))
    config = isolated_home / ".config/kanibako.toml"
    config.write_text(config.read_text() + 'boxes = "projects"\n')
    ok("init", cwd=project)
    assert _status(project)["metadata"].startswith(str(data / "projects") + "/")
    ok("env", "set", "--global", "X", "1")
    assert (data / "env").read_text() == "X=1\n"
    assert [e["name"] for e in json.loads(ok("box", "list", "--json"))] == ["proj"]


def test_top_level_project_flag_reaches_state_commands(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ok("-p", str(project), "env", "set", "WHERE", "proj", cwd=elsewhere)
    assert ok("env", "get", "WHERE", cwd=project) == "proj\n"
    assert ok("-p", str(project), "box", "get", "name", cwd=elsewhere) == "proj\n"
    assert _status(elsewhere, "-p", str(project))["project"] == str(project)
