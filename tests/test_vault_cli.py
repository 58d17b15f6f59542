"""``kanibako vault`` in all three project modes, and the pre-launch snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kanibako.session.vault_snapshot import snapshot_before_launch, snapshot_store
from kanibako_paths import Project, ensure_initialized, load_paths, resolve_project
from kanibako_runtime.lock import LOCK_FILE_NAME, ProjectLock
from tests.state_cli import ok, run

MODES = ["account-centric", "workset", "decentralized"]


def _project_in(mode: str, tmp_path: Path) -> Path:
    """An initialized project in ``mode`` (vault dirs created), by its workspace."""
    source = tmp_path / "proj"
    source.mkdir()
    (source / "main.py").write_text("print('hi')\n")
    if mode == "account-centric":
        paths = load_paths()
        ensure_initialized(paths, resolve_project(paths, source))
        return source
    if mode == "workset":
        ok("workset", "create", "ws", str(tmp_path / "ws"))
        ok("workset", "add", "ws", str(source), "--name", "paper")
        return tmp_path / "ws" / "workspaces" / "paper"
    ok("init", "--local", "-p", str(source))
    return source


def _resolved(workspace: Path) -> Project:
    return resolve_project(load_paths(), workspace)


@pytest.fixture(params=MODES)
def workspace(request: pytest.FixtureRequest, isolated_home: Path, tmp_path: Path) -> Path:
    directory = _project_in(str(request.param), tmp_path)
    assert _resolved(directory).mode.value == request.param
    share = _resolved(directory).vault_rw
    assert share.is_dir()
    (share / "notes.txt").write_text("first notes\n")
    (share / "data").mkdir()
    (share / "data" / "table.csv").write_text("a,b\n1,2\n")
    return directory


def _names(workspace: Path) -> list[str]:
    return [row["name"] for row in json.loads(ok("vault", "list", "--json", "-p", str(workspace)))]


def test_snapshot_list_restore_prune(workspace: Path) -> None:
    project = _resolved(workspace)
    share = project.vault_rw
    assert "Created snapshot" in ok("vault", "snapshot", "-p", str(workspace))
    assert "Unchanged since snapshot" in ok("vault", "snapshot", cwd=workspace)
    rows = json.loads(ok("vault", "list", "--json", "-p", str(workspace)))
    assert [(r["files"], r["kind"]) for r in rows] == [(2, "full")]
    table = ok("vault", "list", cwd=workspace)
    assert table.split("\n")[0].split() == ["NAME", "TIME", "SIZE", "FILES", "KIND"]
    first = rows[0]["name"]

    (share / "notes.txt").write_text("wrecked by the agent\n")
    (share / "data" / "table.csv").unlink()
    out = ok("vault", "restore", first, "-p", str(workspace))
    assert f"Restored snapshot {first}" in out
    assert (share / "notes.txt").read_text() == "first notes\n"
    assert (share / "data" / "table.csv").read_text() == "a,b\n1,2\n"
    names = _names(workspace)
    assert len(names) == 3 and names[0] == first  # + the state before, + the restored state

    pruned = ok("vault", "prune", "--keep", "1", "-p", str(workspace))
    assert pruned == "Deleted 2 snapshot(s) (1 kept snapshot(s) made self-contained).\n"
    assert _names(workspace) == names[-1:]
    assert "Deleted 1 snapshot(s)." in ok("vault", "prune", "--keep", "0", "-p", str(workspace))
    assert ok("vault", "list", "-p", str(workspace)) == "No snapshots.\n"


def test_snapshots_live_outside_share_rw_and_the_mounted_workspace(workspace: Path) -> None:
    paths = load_paths()
    project = _resolved(workspace)
    ok("vault", "snapshot", "-p", str(workspace))
    store = snapshot_store(paths, project)
    assert len(list(store.glob("*.tar.zst"))) == 1
    for mounted in (project.vault_rw, project.workspace, project.shell_dir):
        assert not store.is_relative_to(mounted), f"{store} is visible at {mounted}"


def test_pre_launch_snapshot_skips_unchanged_and_stores_changes(workspace: Path) -> None:
    paths = load_paths()
    project = _resolved(workspace)
    snapshot_before_launch(paths, project)
    snapshot_before_launch(paths, project)
    assert len(_names(workspace)) == 1
    (project.vault_rw / "notes.txt").write_text("after a session\n")
    snapshot_before_launch(paths, project)
    rows = json.loads(ok("vault", "list", "--json", "-p", str(workspace)))
    assert [r["kind"] for r in rows] == ["full", "incremental"]


def test_pre_launch_snapshots_keep_the_newest_vault_keep_in_vault_compression(
    workspace: Path,
) -> None:
    paths = load_paths()
    ok("config", "vault_keep", "2", cwd=workspace)
    ok("config", "vault_compression", "xz", cwd=workspace)
    project = _resolved(workspace)
    for i in range(4):
        (project.vault_rw / "notes.txt").write_text(f"session {i}\n")
        snapshot_before_launch(paths, project)
    rows = json.loads(ok("vault", "list", "--json", "-p", str(workspace)))
    assert [r["kind"] for r in rows] == ["full", "incremental"]  # the older one rewritten
    store = snapshot_store(paths, project)
    assert sorted(p.suffix for p in store.glob("2*")) == [".xz", ".xz"]
    ok("vault", "restore", rows[0]["name"], "-p", str(workspace))
    assert (project.vault_rw / "notes.txt").read_text() == "session 2\n"


def test_pre_launch_keeps_ten_by_default_and_zero_keeps_all(workspace: Path) -> None:
    paths = load_paths()
    project = _resolved(workspace)
    for i in range(12):
        (project.vault_rw / "notes.txt").write_text(f"session {i}\n")
        snapshot_before_launch(paths, project)
    assert len(_names(workspace)) == 10
    assert {p.name[-8:] for p in snapshot_store(paths, project).glob("2*")} == {".tar.zst"}
    ok("config", "vault_keep", "0", cwd=workspace)
    for i in range(2):
        (project.vault_rw / "notes.txt").write_text(f"later {i}\n")
        snapshot_before_launch(paths, project)
    assert len(_names(workspace)) == 12


def test_bad_vault_settings_are_one_line_errors(workspace: Path) -> None:
    failed = run("config", "vault_compression", "gzip", cwd=workspace)
    assert failed.exit_code == 2
    assert failed.stderr == (
        "kanibako: config key vault_compression must be zstd, xz or none, not 'gzip'\n"
    )
    assert run("config", "vault_keep", "-1", cwd=workspace).exit_code == 2


def test_disabled_vault_is_honoured(workspace: Path) -> None:
    ok("box", "set", "vault_enabled", "false", cwd=workspace)
    project = _resolved(workspace)
    snapshot_before_launch(load_paths(), project)
    assert not snapshot_store(load_paths(), project).exists()
    refused = run("vault", "snapshot", "-p", str(workspace))
    assert refused.exit_code == 2
    assert (
        refused.stderr
        == f"kanibako: the vault is disabled for {project.workspace} (vault_enabled = false)\n"
    )
    assert run("vault", "restore", "20260101T000000.000000Z", "-p", str(workspace)).exit_code == 2
    assert ok("vault", "list", "-p", str(workspace)) == "No snapshots.\n"


@pytest.mark.parametrize("name", ["../../etc/passwd", "nonexistent", "20260101T000000.000000Z"])
def test_restore_of_unknown_or_path_names_is_refused(workspace: Path, name: str) -> None:
    share = _resolved(workspace).vault_rw
    ok("vault", "snapshot", "-p", str(workspace))
    (share / "notes.txt").write_text("current\n")
    refused = run("vault", "restore", name, "-p", str(workspace))
    assert refused.exit_code == 2
    assert (
        refused.stderr.startswith("kanibako: no snapshot named") and refused.stderr.count("\n") == 1
    )
    assert (share / "notes.txt").read_text() == "current\n"


def test_restore_refused_while_a_session_runs(workspace: Path) -> None:
    project = _resolved(workspace)
    ok("vault", "snapshot", "-p", str(workspace))
    name = _names(workspace)[0]
    with ProjectLock(project.metadata_dir / LOCK_FILE_NAME, label="test"):
        refused = run("vault", "restore", name, "-p", str(workspace))
    assert refused.exit_code == 2
    assert "a session is running for this project" in refused.stderr


def test_corrupt_snapshot_is_one_line_and_share_rw_stays(workspace: Path) -> None:
    project = _resolved(workspace)
    ok("vault", "snapshot", "-p", str(workspace))
    store = snapshot_store(load_paths(), project)
    archive = next(store.glob("*.tar.zst"))
    archive.write_bytes(archive.read_bytes()[:200])
    (project.vault_rw / "notes.txt").write_text("current\n")
    failed = run("vault", "restore", archive.name.removesuffix(".tar.zst"), "-p", str(workspace))
    assert failed.exit_code == 1
    assert failed.stderr.startswith("kanibako: ") and failed.stderr.count("\n") == 1
    assert (project.vault_rw / "notes.txt").read_text() == "current\n"
    assert "damaged" in ok("vault", "list", "-p", str(workspace))


def test_negative_keep_is_a_user_error(workspace: Path) -> None:
    result = run("vault", "prune", "--keep", "-1", "-p", str(workspace))
    assert result.exit_code == 2
    assert result.stderr == "kanibako: --keep must be 0 or more, not -1\n"


def test_snapshots_follow_a_project_through_box_migrate(
    isolated_home: Path, tmp_path: Path
) -> None:
    workspace = _project_in("account-centric", tmp_path)
    (_resolved(workspace).vault_rw / "notes.txt").write_text("kept across modes\n")
    ok("vault", "snapshot", "-p", str(workspace))
    names = _names(workspace)
    ok("box", "migrate", "--to", "decentralized", cwd=workspace)
    project = _resolved(workspace)
    assert project.mode.value == "decentralized"
    assert _names(workspace) == names
    assert not (project.metadata_dir / "vault-snapshots").exists()  # not left in the agent's view
    ok("box", "migrate", "--to", "account-centric", cwd=workspace)
    assert _resolved(workspace).mode.value == "account-centric"
    assert _names(workspace) == names
    ok("vault", "restore", names[0], "-p", str(workspace))


@pytest.mark.parametrize("parked_as", ["unsynced-" + "0" * 32 + "-12345678", "old-1234abcd"])
def test_pre_launch_snapshot_puts_back_a_share_rw_parked_by_a_killed_restore(
    workspace: Path, parked_as: str
) -> None:
    paths = load_paths()
    project = _resolved(workspace)
    snapshot_before_launch(paths, project)
    share = project.vault_rw
    # Killed between the two renames of a restore's swap: share-rw is parked, not there.
    share.rename(share.parent / f".{share.name}.{parked_as}")
    snapshot_before_launch(paths, project)
    assert (share / "notes.txt").read_text() == "first notes\n"
    assert [p.name for p in share.parent.iterdir() if p.name.startswith(f".{share.name}.")] == []
