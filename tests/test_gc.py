"""``kanibako gc``: real projects, real snapshots, a real lock held by another process."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from kanibako_vault import snapshot
from tests.state_cli import ok, run
from tests.state_cli import snapshot as tree_snapshot


@pytest.fixture
def home(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # No engine: gc must still account for the files (and say it did not ask the engine).
    monkeypatch.setenv("KANIBAKO_ENGINE", "/nonexistent/podman")
    return isolated_home


def _project(home: Path, name: str, snapshots: int = 0) -> Path:
    project = home / name
    (project / "vault" / "share-rw").mkdir(parents=True)
    ok("init", cwd=project)
    info = json.loads(ok("box", "info", "--json", cwd=project))
    shell = Path(info["shell"])
    shell.mkdir(parents=True, exist_ok=True)
    (shell / "notes.txt").write_bytes(b"x" * 50_000)
    (shell / "helpers" / "1" / "workspace").mkdir(parents=True)
    (shell / "helpers" / "1" / "workspace" / "clone.bin").write_bytes(b"y" * 20_000)
    store = Path(info["metadata"]) / "vault-snapshots"
    for i in range(snapshots):
        (project / "vault" / "share-rw" / "f").write_text(f"version {i}\n" * 100)
        snapshot(project / "vault" / "share-rw", store)
        time.sleep(0.002)  # snapshot names carry the time
    return project


def _gc(*args: str) -> dict:
    return json.loads(ok("gc", "--json", *args))


def test_gc_accounts_and_plans_but_removes_nothing_without_yes(home: Path) -> None:
    live = _project(home, "live", snapshots=12)
    gone = _project(home, "gone")
    (gone / "keep-me").write_text("user file")
    digest = ok("box", "get", "project_hash", cwd=gone).strip()
    (home / ".local/share/kanibako/helper-logs").mkdir(parents=True)
    logs = [
        home / f".local/share/kanibako/helper-logs/{digest}.{n}" for n in ("jsonl", "helpers.json")
    ]
    for log in logs:
        log.write_text("{}\n")
    import shutil

    shutil.rmtree(gone)
    bundles = home / ".cache" / "kanibako" / "bundle"
    bundles.mkdir(parents=True)
    (bundles / "kanibako-new.pyz").write_bytes(b"n" * 4096)
    (bundles / "kanibako-old.pyz").write_bytes(b"o" * 8192)
    (bundles / "fingerprint").write_text("abc kanibako-new.pyz\n")
    before = tree_snapshot(home)
    report = _gc()
    assert tree_snapshot(home) == before
    projects = {Path(p["workspace"]).name: p for p in report["projects"]}
    assert projects["live"]["snapshot_count"] == 12
    assert projects["live"]["shell"] >= 50_000 and projects["live"]["helpers"] >= 20_000
    assert projects["live"]["size_bytes"] == sum(
        projects["live"][k] for k in ("state", "shell", "helpers", "snapshots")
    )
    assert not projects["gone"]["workspace_exists"]
    assert "engine not asked" in report["engine"]
    plan = {(i["kind"], Path(i["target"]).name) for i in report["plan"]}
    assert ("orphaned project", "gone") in plan
    assert ("stale bundle", "kanibako-old.pyz") in plan
    assert any(
        i["kind"] == "old snapshots" and i["target"].startswith("2 snapshots of ")
        for i in report["plan"]
    )
    assert ("stale bundle", "kanibako-new.pyz") not in plan
    text = ok("gc")
    assert "would remove:" in text and "kanibako gc --yes" in text

    done = _gc("--yes")
    assert done["freed_bytes"] > 8192
    after = {Path(p["workspace"]).name: p for p in _gc()["projects"]}
    assert set(after) == {"live"}
    assert after["live"]["snapshot_count"] == 10
    assert (live / "vault" / "share-rw" / "f").is_file()  # a workspace is never touched
    assert sorted(p.name for p in bundles.iterdir()) == ["fingerprint", "kanibako-new.pyz"]
    assert not any(log.exists() for log in logs)  # the orphan's helper log and registry too
    assert _gc()["plan"] == []


def test_gc_leaves_a_running_sessions_state_alone(home: Path) -> None:
    live = _project(home, "busy", snapshots=12)
    orphan = _project(home, "busy-orphan")
    meta = {
        name: Path(json.loads(ok("box", "info", "--json", cwd=p))["metadata"])
        for name, p in (("busy", live), ("busy-orphan", orphan))
    }
    import shutil

    shutil.rmtree(orphan)
    holders = [
        subprocess.Popen(["flock", "-x", str(m / "session.lock"), "sleep", "60"])
        for m in meta.values()
    ]
    try:
        for m in meta.values():
            for _ in range(100):
                if subprocess.run(
                    ["flock", "-n", str(m / "session.lock"), "true"], check=False
                ).returncode:
                    break
                time.sleep(0.02)
        report = _gc("--yes")
        assert report["plan"] == []
        assert all(p["running"] for p in report["projects"])
        assert meta["busy-orphan"].is_dir()
        assert len(list((meta["busy"] / "vault-snapshots").glob("*.tar*"))) == 12
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()


def test_box_list_shows_each_projects_size(home: Path) -> None:
    _project(home, "sized")
    listed = json.loads(ok("box", "list", "--json"))
    assert listed[0]["size_bytes"] >= 70_000
    table = ok("box", "list").splitlines()
    assert table[0].split()[-1] == "SIZE" and "KiB" in table[1]


def test_a_bad_vault_keep_is_one_line(home: Path) -> None:
    assert run("config", "--global", "vault_keep", "many").exit_code == 2
    _project(home, "kept", snapshots=4)
    ok("config", "vault_keep", "3", cwd=home / "kept")
    assert [i["target"][:11] for i in _gc()["plan"]] == ["1 snapshots"]
    ok("config", "--unset", "vault_keep", cwd=home / "kept")
    (home / ".config" / "kanibako.toml").write_text('[vault]\nkeep = "many"\n')
    result = run("gc")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "vault_keep" in result.output


def test_gc_counts_a_helper_clone_and_never_removes_a_live_projects_clone(home: Path) -> None:
    from kanibako.gc.sizes import tree_size
    from kanibako.session.helper_clones import HelperClones

    project = home / "cloned"
    project.mkdir()
    (project / "big.bin").write_bytes(os.urandom(300_000))
    script = "git init -q -b main && git add big.bin && git commit -qm one"
    identity = {"GIT_AUTHOR_NAME": "U", "GIT_AUTHOR_EMAIL": "u@x"}
    identity |= {"GIT_COMMITTER_NAME": "U", "GIT_COMMITTER_EMAIL": "u@x"}
    subprocess.run(["sh", "-c", script], cwd=project, env={**os.environ, **identity}, check=True)
    ok("init", cwd=project)
    shell = Path(json.loads(ok("box", "info", "--json", cwd=project))["shell"])
    before = _gc()["projects"][0]["helpers"]
    clone = shell / "helpers" / "1" / "workspace"
    clone.mkdir(parents=True)
    HelperClones(project).prepare(1, clone)
    (clone / "work.bin").write_bytes(b"w" * 200_000)
    subprocess.run(["git", "add", "work.bin"], cwd=clone, check=True)
    subprocess.run(
        ["git", "commit", "-qm", "helper work"],
        cwd=clone,
        env={**os.environ, **identity},
        check=True,
    )
    counted = _gc()["projects"][0]["helpers"] - before
    # The checkout (300 KB), the helper's commit (200 KB file) and the objects.
    assert counted == tree_size(shell / "helpers").bytes and counted >= 500_000
    kept = tree_snapshot(shell / "helpers")
    assert _gc("--yes")["plan"] == []
    assert tree_snapshot(shell / "helpers") == kept


def test_gc_pruning_a_project_whose_session_died_keeps_it_resumable(home: Path) -> None:
    import sys

    from kanibako_runtime import stale_holder

    project = _project(home, "crashed", snapshots=12)
    lock = Path(json.loads(ok("box", "info", "--json", cwd=project))["metadata"]) / "session.lock"
    code = (
        "import os; from pathlib import Path; from kanibako_runtime import ProjectLock;"
        f"ProjectLock(Path({str(lock)!r})).acquire(container='kanibako-c-1'); os.kill(os.getpid(), 9)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == -9
    before = stale_holder(lock)
    assert before is not None
    _gc("--yes")
    assert _gc()["projects"][0]["snapshot_count"] == 10  # it did prune, under the lock
    assert stale_holder(lock) == before
