"""The container layout and the session's ContainerSpec, built without an engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako.session import layout
from kanibako.session.agent import AgentLaunch
from kanibako.session.features import SpecAdditions
from kanibako.session.spec import build_spec
from kanibako_paths import KanibakoPaths, Project, ensure_initialized, load_paths, resolve_project
from kanibako_runtime import Mount, TmpfsMount


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("HOME", "home")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


def _project(home: Path, name: str = "proj") -> tuple[KanibakoPaths, Project]:
    paths = load_paths()
    workspace = home / name
    workspace.mkdir()
    return paths, ensure_initialized(paths, resolve_project(paths, workspace))


def test_account_centric_layout_mounts_shell_workspace_vault_and_hides_the_vault(
    home: Path,
) -> None:
    _paths, project = _project(home)
    mounts, tmpfs = layout.project_mounts(project)
    assert mounts == [
        Mount(project.shell_dir, "/home/agent"),
        Mount(project.workspace, "/home/agent/workspace"),
        Mount(project.workspace / "vault" / "share-ro", "/home/agent/share-ro", read_only=True),
        Mount(project.workspace / "vault" / "share-rw", "/home/agent/share-rw"),
    ]
    assert tmpfs == [TmpfsMount("/home/agent/workspace/vault", read_only=True, size="4k")]


def test_decentralized_layout_hides_its_metadata_and_vault(home: Path) -> None:
    from kanibako_paths import init_local

    paths = load_paths()
    (home / "local").mkdir()
    project = init_local(paths, home / "local")
    mounts, tmpfs = layout.project_mounts(project, paths)
    assert tmpfs == [
        TmpfsMount("/home/agent/workspace/.kanibako", read_only=True, size="4k"),
        TmpfsMount("/home/agent/workspace/vault", read_only=True, size="4k"),
    ]
    # The shell (inside .kanibako) is still the home, mounted on its own.
    assert mounts[0] == Mount(home / "local" / ".kanibako" / "shell", "/home/agent")


def test_a_project_holding_kanibakos_own_state_hides_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A project at the user's home: the data dir and the global config are in it.
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "home" / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "home" / ".config"))
    (home / "home" / ".config").mkdir()
    (home / "home" / ".config" / "kanibako.toml").write_text("")
    paths = load_paths()
    project = ensure_initialized(paths, resolve_project(paths, home / "home"))
    mounts, tmpfs = layout.project_mounts(project, paths)
    assert [t.target for t in tmpfs] == [
        "/home/agent/workspace/.local/share/kanibako",  # boxes, env, worksets: all inside
        "/home/agent/workspace/vault",
    ]
    assert Mount(Path("/dev/null"), "/home/agent/workspace/.config/kanibako.toml", True) in mounts


def test_workset_state_lies_outside_the_workspace_so_nothing_is_hidden(home: Path) -> None:
    from kanibako_paths import add_to_workset, create_workset

    paths = load_paths()
    create_workset(paths, "ws", home / "ws")
    add_to_workset(paths, "ws", name="paper")
    project = ensure_initialized(
        paths, resolve_project(paths, home / "ws" / "workspaces" / "paper")
    )
    assert layout.project_mounts(project, paths)[1] == []


def test_vault_mounts_only_when_enabled_and_present(home: Path) -> None:
    _paths, project = _project(home)
    (project.vault_ro).rmdir()
    mounts, _ = layout.project_mounts(project)
    assert "/home/agent/share-ro" not in [m.target for m in mounts]
    assert "/home/agent/share-rw" in [m.target for m in mounts]


def test_shared_caches_are_mounted_only_when_their_host_dir_exists(home: Path) -> None:
    paths, _ = _project(home)
    assert layout.shared_cache_mounts(paths, "claude") == []
    # A built-in name needs no [shared] entry; one from [shared] is added to them.
    paths.config_file.write_text('[shared]\nmaven = ".m2/repository"\n')
    for name in ("pip", "maven"):
        (paths.global_shared_dir / name).mkdir(parents=True)
    assert layout.shared_cache_mounts(paths, "claude") == [
        Mount(paths.global_shared_dir / "maven", "/home/agent/.m2/repository"),
        Mount(paths.global_shared_dir / "pip", "/home/agent/.cache/pip"),
    ]


def test_the_agents_own_shared_caches_are_mounted_for_that_agent_only(home: Path) -> None:
    paths, _ = _project(home)
    paths.agents_dir.mkdir(parents=True, exist_ok=True)
    (paths.agents_dir / "claude.toml").write_text('[shared]\nplugins = ".claude/plugins"\n')
    (paths.agents_dir / "other.toml").write_text('[shared]\ntools = ".tools"\n')
    for agent, name in (("claude", "plugins"), ("other", "tools")):
        (paths.agent_shared_dir(agent) / name).mkdir(parents=True)
    plugins = Mount(paths.agent_shared_dir("claude") / "plugins", "/home/agent/.claude/plugins")
    assert layout.shared_cache_mounts(paths, "claude") == [plugins]
    spec = build_spec(
        paths, _project(home, "p2")[1], "img", AgentLaunch(target_name="claude"), None
    )
    assert plugins in spec.mounts
    assert not any(m.target == "/home/agent/.tools" for m in spec.mounts)


def test_a_bad_shared_entry_is_refused_naming_the_file(home: Path) -> None:
    from kanibako_paths import ConfigError

    paths, _ = _project(home)
    paths.config_file.write_text('[shared]\nbad = "/abs"\n')
    with pytest.raises(ConfigError, match=r"kanibako.toml: \[shared\] bad"):
        layout.shared_cache_mounts(paths, "claude")


def test_container_name_is_readable_and_unique_per_project(home: Path) -> None:
    _, first = _project(home, "My Project!")
    _, second = _project(home, "other")
    name = layout.container_name(first)
    assert name.startswith("kanibako-my-project-") and name.endswith(first.project_hash[:8])
    assert name != layout.container_name(second)


def test_spec_runs_in_the_workspace_with_home_set_and_env_layered(home: Path) -> None:
    paths, project = _project(home)
    paths.global_env_file.parent.mkdir(parents=True, exist_ok=True)
    paths.global_env_file.write_text("EDITOR=nano\nSHARED=global\n")
    project.env_file.write_text("SHARED=project\nHOME=/elsewhere\n")
    agent = AgentLaunch(env={"EDITOR": "agent", "AGENT_ONLY": "1"}, argv=["claude", "--continue"])
    spec = build_spec(
        paths, project, "img", agent, None, additions=[SpecAdditions(env={"HUB": "sock"})]
    )
    assert spec.workdir == "/home/agent/workspace"
    assert spec.entrypoint == "claude" and spec.command == ("--continue",)
    assert spec.env["HOME"] == "/home/agent"  # Kanibako's own wins: any image works
    assert spec.env["EDITOR"] == "nano" and spec.env["SHARED"] == "project"
    assert spec.env["AGENT_ONLY"] == "1" and spec.env["HUB"] == "sock"
    assert spec.labels[layout.LABEL_SESSION] == project.project_hash
    assert spec.labels[layout.LABEL_ROLE] == "director"
    assert spec.interactive and spec.tty and not spec.detach and spec.remove


def test_command_replaces_the_agent_with_the_same_mounts(home: Path) -> None:
    paths, project = _project(home)
    agent = AgentLaunch(mounts=[Mount(Path("/opt/agent"), "/opt/agent", True)], argv=["claude"])
    spec = build_spec(paths, project, "img", agent, ["sh", "-c", "exit 3"])
    assert (spec.entrypoint, spec.command) == ("sh", ("-c", "exit 3"))
    assert Mount(Path("/opt/agent"), "/opt/agent", True) in spec.mounts
