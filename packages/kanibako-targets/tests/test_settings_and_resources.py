"""Setting resolution and resource scopes, as `box settings` / `box resource` see them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_targets import HostEnvironment, ResourceScope
from kanibako_targets.claude import ClaudeTarget
from kanibako_targets.internal import (
    SettingError,
    agent_shared_mounts,
    apply_resources,
    effective_resources,
    effective_settings,
    effective_state,
    find_resource,
)

DESCRIPTORS = ClaudeTarget(HostEnvironment(home=Path("/nonexistent"))).setting_descriptors()
MAPPINGS = ClaudeTarget(HostEnvironment(home=Path("/nonexistent"))).resource_mappings()


def test_project_override_beats_agent_state_beats_default() -> None:
    settings = effective_settings(DESCRIPTORS, {"model": "haiku"}, {"model": "sonnet"})
    by_key = {s.key: (s.value, s.source) for s in settings}
    assert by_key == {"model": ("haiku", "project"), "access": ("permissive", "default")}
    settings = effective_settings(DESCRIPTORS, {}, {"model": "sonnet", "access": "default"})
    assert {s.key: s.source for s in settings} == {"model": "agent", "access": "agent"}


def test_constrained_choices_are_enforced_naming_the_source() -> None:
    with pytest.raises(SettingError, match=r"project\.toml: setting 'access' must be one of"):
        effective_settings(DESCRIPTORS, {"access": "yolo"}, {}, overrides_from="project.toml")
    with pytest.raises(SettingError, match=r"claude\.toml: setting 'access'"):
        effective_settings(DESCRIPTORS, {}, {"access": "yolo"}, state_from="claude.toml")


def test_undeclared_state_keys_pass_through_to_the_target() -> None:
    state = effective_state(DESCRIPTORS, {}, {"custom": "1"})
    assert state == {"custom": "1", "model": "opus", "access": "permissive"}


def test_resources_take_overrides_and_accept_names_without_the_slash() -> None:
    assert find_resource(MAPPINGS, "plugins").path == "plugins/"
    with pytest.raises(SettingError, match="unknown resource 'nope'"):
        find_resource(MAPPINGS, "nope")
    resources = {r.key: r for r in effective_resources(MAPPINGS, {"plugins": "project"})}
    assert resources["plugins/"].scope is ResourceScope.PROJECT
    assert resources["plugins/"].overridden
    assert resources["settings.json"].scope is ResourceScope.SEEDED
    with pytest.raises(SettingError, match="scope must be one of shared, seeded, project"):
        effective_resources(MAPPINGS, {"plugins/": "global"})


def _apply(tmp_path: Path, overrides: dict[str, str], *, first_run: bool) -> list[tuple[str, str]]:
    mounts = apply_resources(
        effective_resources(MAPPINGS, overrides),
        home=tmp_path / "home",
        resource_root=".claude",
        shared_dir=tmp_path / "shared",
        container_home="/home/agent",
        first_run=first_run,
    )
    return [(str(m.source.relative_to(tmp_path)), m.target) for m in mounts]


def test_shared_resources_are_mounted_and_created(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    assert _apply(tmp_path, {}, first_run=True) == [
        ("shared/plugins", "/home/agent/.claude/plugins")
    ]
    assert (tmp_path / "shared/plugins").is_dir()


def test_seeded_resources_are_copied_on_the_first_run_only(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/settings.json").write_text('{"theme": "dark"}')
    _apply(tmp_path, {}, first_run=False)
    assert not (tmp_path / "home/.claude/settings.json").exists()
    _apply(tmp_path, {}, first_run=True)
    assert (tmp_path / "home/.claude/settings.json").read_text() == '{"theme": "dark"}'
    (tmp_path / "shared/settings.json").write_text('{"theme": "light"}')
    _apply(tmp_path, {}, first_run=True)  # the project's copy is its own now
    assert (tmp_path / "home/.claude/settings.json").read_text() == '{"theme": "dark"}'


def test_project_scope_shares_nothing(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    assert _apply(tmp_path, {"plugins": "project"}, first_run=True) == []
    assert not (tmp_path / "shared/plugins").exists()


def test_switching_a_file_to_shared_publishes_the_projects_copy(tmp_path: Path) -> None:
    (tmp_path / "home/.claude").mkdir(parents=True)
    (tmp_path / "home/.claude/settings.json").write_text("{}")
    mounts = _apply(tmp_path, {"settings.json": "shared"}, first_run=False)
    assert ("shared/settings.json", "/home/agent/.claude/settings.json") in mounts
    assert (tmp_path / "shared/settings.json").read_text() == "{}"


def test_a_linked_directory_in_the_home_is_not_published(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "settings.json").write_text("private")
    (tmp_path / "home").mkdir()
    (tmp_path / "home/.claude").symlink_to(secret)
    _apply(tmp_path, {"settings.json": "shared"}, first_run=False)
    assert not (tmp_path / "shared/settings.json").exists()


def test_agent_shared_caches_are_mounted_only_when_they_exist(tmp_path: Path) -> None:
    shared = {"plugins": ".claude/plugins", "cache": ".cache/agent"}
    (tmp_path / "plugins").mkdir()
    mounts = agent_shared_mounts(shared, shared_dir=tmp_path, container_home="/home/agent")
    assert [(m.source, m.target) for m in mounts] == [
        (tmp_path / "plugins", "/home/agent/.claude/plugins")
    ]
