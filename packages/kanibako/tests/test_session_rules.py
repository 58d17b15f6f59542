"""Issue 12's session rules without an engine: real files, the spec they produce, the sweeps."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from kanibako.session.contribution import Contribution, apply
from kanibako.session.kanibako_state import hide_kanibako_state, nested_project_dirs
from kanibako.session.privileges import clear_privileged_files
from kanibako.session.protect_control_files import protect_control_files
from kanibako.session.rules import HelperLimitError, session_rules
from kanibako.session.shared_layers import shared_layers
from kanibako_paths import KanibakoPaths, Project, ensure_initialized, load_paths, resolve_project
from kanibako_paths.session_config import ProtectSettings
from kanibako_runtime import ContainerSpec, Engine, Mount, OverlayMount, TmpfsMount

WS = "/home/agent/workspace"
PODMAN = Engine("podman", "/usr/bin/podman")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (tmp_path / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    return tmp_path


def _project(home: Path, workspace: Path) -> tuple[KanibakoPaths, Project]:
    paths = load_paths()
    workspace.mkdir(exist_ok=True)
    return paths, ensure_initialized(paths, resolve_project(paths, workspace))


def _targets(contribution: Contribution) -> dict[str, bool]:
    return {m.target: m.read_only for m in contribution.mounts}


def test_existing_control_files_are_read_only_and_git_is_its_own_mount(tmp_path: Path) -> None:
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    (tmp_path / ".git" / "config").write_text("[core]\n")
    (tmp_path / ".envrc").write_text("x\n")
    (tmp_path / ".yarnrc.yml").write_text("x\n")
    (tmp_path / "Makefile").write_text("x\n")
    (tmp_path / ".npmrc").symlink_to("/etc/passwd")  # a link is watched, not bound
    settings = ProtectSettings(extra=("Makefile",), writable=(".envrc",))
    found = _targets(protect_control_files(tmp_path, WS, settings))
    assert found == {
        f"{WS}/.git": False,
        f"{WS}/.git/config": True,
        f"{WS}/.git/hooks": True,
        f"{WS}/Makefile": True,
        f"{WS}/.yarnrc.yml": True,
    }


def test_submodule_git_dirs_and_an_inside_hooks_path_are_protected(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    module = tmp_path / ".git" / "modules" / "lib"
    (module / "hooks").mkdir(parents=True)
    (module / "HEAD").write_text("ref: refs/heads/main\n")
    (module / "config").write_text("[core]\n")
    (tmp_path / "tools" / "hooks").mkdir(parents=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "config", "core.hooksPath", "tools/hooks"], check=True
    )
    found = _targets(protect_control_files(tmp_path, WS, ProtectSettings()))
    for relative in (".git/modules/lib/config", ".git/modules/lib/hooks", "tools/hooks"):
        assert found[f"{WS}/{relative}"] is True, relative


def test_the_sweep_names_control_files_created_or_replaced_in_the_session(
    tmp_path: Path,
) -> None:
    (tmp_path / ".mcp.json").symlink_to("elsewhere")
    contribution = protect_control_files(tmp_path, WS, ProtectSettings())
    (tmp_path / ".envrc").write_text("evil\n")
    (tmp_path / ".mcp.json").unlink()
    (tmp_path / ".mcp.json").write_text("{}\n")
    (tmp_path / ".yarnrc").write_text("x\n")
    said: list[str] = []
    contribution.teardown(said.append)
    assert len(said) == 3
    assert all(name in " ".join(said) for name in ("'.envrc'", "'.mcp.json'", "'.yarnrc'"))


def test_apply_skips_taken_targets_and_what_a_read_only_tmpfs_hides() -> None:
    spec = ContainerSpec(
        image="i",
        mounts=(Mount(Path("/w"), WS),),
        tmpfs=(TmpfsMount(f"{WS}/.kanibako"),),
    )
    contribution = Contribution(
        mounts=(
            Mount(Path("/w"), WS, read_only=True),
            Mount(Path("/w/.kanibako/env"), f"{WS}/.kanibako/env", read_only=True),
            Mount(Path("/w/.envrc"), f"{WS}/.envrc", read_only=True),
        ),
        options={"no_new_privileges": True},
    )
    merged = apply(spec, [contribution])
    assert [m.target for m in merged.mounts] == [WS, f"{WS}/.envrc"]
    assert merged.mounts[0].read_only is False and merged.no_new_privileges


def test_shared_dirs_become_layers_and_shared_files_read_only(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "claude" / "plugins").mkdir(parents=True)
    (shared / "claude" / "settings.json").write_text("{}")
    own = tmp_path / "own"
    own.mkdir()
    mounts = [
        Mount(shared / "claude" / "plugins", "/home/agent/.claude/plugins"),
        Mount(shared / "claude" / "settings.json", "/home/agent/.claude/settings.json"),
        Mount(own, "/home/agent/own"),
        Mount(shared / "claude" / "plugins", "/ro", read_only=True),
    ]
    layers = tmp_path / "layers"
    made = shared_layers(mounts, shared, layers, PODMAN).replacements
    assert len(made) == 2
    overlay, settings = made
    assert isinstance(overlay, OverlayMount) and overlay.upper.is_dir()
    assert overlay.upper.is_relative_to(layers) and overlay.work.is_dir()
    assert isinstance(settings, Mount) and settings.read_only
    remote = shared_layers(mounts, shared, layers, Engine("podman", "p", remote=True))
    assert all(isinstance(m, Mount) and m.read_only for m in remote.replacements)
    spec = apply(ContainerSpec(image="i", mounts=tuple(mounts)), [Contribution(replacements=made)])
    assert [o.target for o in spec.overlays] == ["/home/agent/.claude/plugins"]
    assert "/home/agent/.claude/plugins" not in [m.target for m in spec.mounts]


@pytest.mark.skipif(os.geteuid() != 0, reason="setting setuid on another owner's file")
def test_clear_privileged_files_clears_setuid_and_setgid_and_follows_no_link(
    tmp_path: Path,
) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    suid, sgid, plain = tmp_path / "deep" / "er" / "s", tmp_path / "g", tmp_path / "p"
    for path, mode in ((suid, 0o4755), (sgid, 0o2755), (plain, 0o755)):
        path.write_text("#!/bin/sh\n")
        path.chmod(mode)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.write_text("x")
    outside.chmod(0o4755)
    (tmp_path / "link").symlink_to(outside)
    try:
        cleared = clear_privileged_files([tmp_path], capabilities=True)
        assert sorted(cleared) == sorted([suid, sgid])
        assert stat.S_IMODE(suid.stat().st_mode) == 0o755
        assert stat.S_IMODE(sgid.stat().st_mode) == 0o755
        assert stat.S_IMODE(outside.stat().st_mode) == 0o4755
    finally:
        outside.unlink()


def test_nested_projects_are_found_within_the_bounds(tmp_path: Path) -> None:
    (tmp_path / "a" / "b" / ".kanibako").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / ".kanibako").mkdir(parents=True)
    deep = tmp_path.joinpath(*"cdefghij", ".kanibako")
    deep.mkdir(parents=True)
    found = nested_project_dirs(tmp_path)
    assert tmp_path / "a" / "b" / ".kanibako" in found
    assert tmp_path / "a" / "b" / "vault" in found
    assert deep not in found  # below SCAN_DEPTH
    assert not any("node_modules" in str(p) for p in found)
    assert nested_project_dirs(tmp_path, deadline=0.0) == []


def test_a_home_project_hides_kanibakos_cache_state_and_nested_projects(home: Path) -> None:
    for sub in (".cache/kanibako/bundle", ".local/state/kanibako", "code/inner/.kanibako"):
        (home / sub).mkdir(parents=True)
    paths, project = _project(home, home)
    hidden = {t.target for t in hide_kanibako_state(paths, project, WS).tmpfs}
    assert {
        f"{WS}/.cache/kanibako",
        f"{WS}/.local/state/kanibako",
        f"{WS}/code/inner/.kanibako",
    } <= hidden


def test_rules_give_helpers_least_privilege_limits_and_a_bounded_fleet(home: Path) -> None:
    paths, project = _project(home, home / "w")
    project.project_config_file.write_text('[limits]\nhelpers = 2\nhelper_memory = "1g"\n')
    rules = session_rules(paths, project, PODMAN)
    spec = rules.helper_spec(ContainerSpec(image="i", name="kanibako-helper-1"), running=1)
    assert spec.no_new_privileges and spec.cap_drop == ("ALL",)
    assert (spec.memory, spec.cpus, spec.pids_limit) == ("1g", "1", 1024)
    with pytest.raises(HelperLimitError, match="2"):
        rules.helper_spec(ContainerSpec(image="i"), running=2)
    session = rules.apply(ContainerSpec(image="i", mounts=(Mount(project.workspace, WS),)))
    assert (session.memory, session.pids_limit) == ("8g", 4096)


def test_the_spawner_hardens_each_helper_and_a_full_fleet_starts_nothing(home: Path) -> None:
    from kanibako.session.spawner import HelperContainer, HelperSpawner
    from kanibako_helpers import SpawnRequest

    paths, project = _project(home, home / "w")
    project.project_config_file.write_text("[limits]\nhelpers = 1\n")
    rules = session_rules(paths, project, PODMAN)
    # A binary that cannot run: reaching the engine at all would be a different error.
    spawner = HelperSpawner(
        Engine("podman", str(home / "no-engine")),
        project,
        "i",
        ["a"],
        [],
        {},
        harden=rules.helper_spec,
    )
    request = SpawnRequest(
        helper=1, parent=0, depth=1, breadth=1, model=None, container_name="kanibako-h-1",
        mounts=(), env={}, command=("/bin/true",),
    )  # fmt: skip
    assert spawner.harden(spawner.spec_for(request), 0).no_new_privileges
    spawner.started.append(HelperContainer(spawner.engine, "kanibako-h-0"))  # still running
    with pytest.raises(HelperLimitError):
        spawner(request)


def test_a_planted_fifo_config_or_wide_modules_dir_does_not_stall_the_launch(
    tmp_path: Path,
) -> None:
    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / ".git" / "config")  # reading it would block forever
    modules = tmp_path / ".git" / "modules"
    for n in range(3_000):
        (modules / str(n)).mkdir(parents=True)
    found = _targets(protect_control_files(tmp_path, WS, ProtectSettings()))
    assert found[f"{WS}/.git/config"] is True


@pytest.mark.skipif(os.geteuid() != 0, reason="setting setuid on another owner's file")
def test_the_session_sweep_covers_every_helper_layer(home: Path) -> None:
    paths, project = _project(home, home / "w")
    rules = session_rules(paths, project, PODMAN)
    rules.apply(ContainerSpec(image="i", mounts=(Mount(project.workspace, WS),)))
    planted = project.metadata_dir / "layers" / "helpers" / "kanibako-h-3" / "upper" / "sh"
    planted.parent.mkdir(parents=True)
    planted.write_text("")
    planted.chmod(0o4755)
    said: list[str] = []
    rules.teardown(said.append)
    assert not planted.stat().st_mode & stat.S_ISUID
    assert len(said) == 1 and "kanibako-h-3" in said[0]
