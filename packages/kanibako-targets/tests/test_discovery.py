"""Plugins are found through the entry-point group, and broken ones fail clearly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kanibako_targets import HostEnvironment
from kanibako_targets.claude import ClaudeTarget
from kanibako_targets.internal import (
    ENTRY_POINT_GROUP,
    NO_AGENT,
    PluginLoadError,
    UnknownTargetError,
    load_target_class,
    resolve_target,
    target_names,
)
from kanibako_targets.no_agent import NoAgentTarget


def install_plugin(
    site: Path, dist: str, entries: dict[str, str], module: str, source: str
) -> None:
    """A real (if minimal) installed distribution: dist-info with entry points, and a module."""
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entries.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
    (site / f"{module}.py").write_text(textwrap.dedent(source))


GOOD_PLUGIN = """
    from kanibako_targets import AgentInstall, Target

    class GoodTarget(Target):
        name = "good"
        display_name = "Good agent"
        command = "good-agent"

        def detect(self):
            found = self.which(self.command)
            return AgentInstall(self.command, found.resolve()) if found else None

        def build_args(self, request):
            return []
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    return path


@pytest.fixture
def empty_host(tmp_path: Path) -> HostEnvironment:
    (tmp_path / "home").mkdir()
    (tmp_path / "bin").mkdir()
    return HostEnvironment(home=tmp_path / "home", path=str(tmp_path / "bin"))


def plant(host: HostEnvironment, command: str) -> Path:
    script = host.search_path()[0] / command
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    return script


def test_built_in_targets_register_through_the_entry_point_group() -> None:
    assert {"claude", NO_AGENT} <= set(target_names())
    assert load_target_class("claude") is ClaudeTarget
    assert load_target_class(NO_AGENT) is NoAgentTarget


def test_an_unknown_target_name_lists_the_installed_ones() -> None:
    with pytest.raises(UnknownTargetError, match=r"unknown target 'nope' \(installed: .*claude"):
        load_target_class("nope")


def test_an_object_that_is_not_a_target_names_its_distribution(site: Path) -> None:
    install_plugin(
        site, "kanibako-target-broken", {"broken": "broken_plugin:NotATarget"}, "broken_plugin",
        "class NotATarget:\n    name = 'broken'\n",
    )  # fmt: skip
    with pytest.raises(PluginLoadError) as caught:
        load_target_class("broken")
    message = str(caught.value)
    assert "kanibako-target-broken 1.0" in message
    assert "not a subclass of kanibako_targets.Target" in message
    assert caught.value.exit_code == 2


def test_a_plugin_that_fails_to_import_names_its_distribution(site: Path) -> None:
    install_plugin(
        site, "kanibako-target-crashy", {"crashy": "crashy_plugin:Crashy"}, "crashy_plugin",
        "raise RuntimeError('boom at import')\n",
    )  # fmt: skip
    with pytest.raises(PluginLoadError, match=r"kanibako-target-crashy 1\.0.*boom at import"):
        load_target_class("crashy")


def test_a_broken_plugin_stops_auto_detection_with_a_clear_error(
    site: Path, empty_host: HostEnvironment
) -> None:
    install_plugin(
        site, "kanibako-target-broken", {"broken": "broken_plugin:NotATarget"}, "broken_plugin",
        "NotATarget = 42\n",
    )  # fmt: skip
    with pytest.raises(PluginLoadError, match="kanibako-target-broken"):
        resolve_target(None, empty_host)


def test_a_target_whose_name_differs_from_its_entry_point_is_refused(site: Path) -> None:
    install_plugin(
        site, "kanibako-target-good", {"other": "good_plugin:GoodTarget"}, "good_plugin",
        GOOD_PLUGIN,
    )  # fmt: skip
    with pytest.raises(PluginLoadError, match="declares name 'good'"):
        load_target_class("other")


def test_one_name_registered_by_two_distributions_is_an_error(site: Path) -> None:
    install_plugin(site, "dist-one", {"twin": "twin_one:T"}, "twin_one", "T = 1\n")
    install_plugin(site, "dist-two", {"twin": "twin_two:T"}, "twin_two", "T = 2\n")
    with pytest.raises(PluginLoadError, match=r"registered twice: by dist-\w+ 1\.0 and by dist-"):
        load_target_class("twin")


def test_with_nothing_detected_kanibako_falls_back_to_no_agent(
    empty_host: HostEnvironment,
) -> None:
    resolved = resolve_target(None, empty_host)
    assert isinstance(resolved.target, NoAgentTarget)
    assert resolved.install is not None
    assert resolved.install.command == "bash"


@pytest.fixture
def good_plugin(site: Path) -> None:
    install_plugin(
        site, "kanibako-target-good", {"good": "good_plugin:GoodTarget"}, "good_plugin",
        GOOD_PLUGIN,
    )  # fmt: skip


@pytest.mark.usefixtures("good_plugin")
def test_a_third_party_plugin_is_auto_detected_like_a_built_in(
    empty_host: HostEnvironment,
) -> None:
    script = plant(empty_host, "good-agent")
    resolved = resolve_target(None, empty_host)
    assert resolved.target.name == "good"
    assert resolved.install is not None
    assert resolved.install.binary == script


@pytest.mark.usefixtures("good_plugin")
def test_claude_is_preferred_when_several_agents_are_installed(
    empty_host: HostEnvironment,
) -> None:
    plant(empty_host, "good-agent")
    plant(empty_host, "claude")
    assert resolve_target(None, empty_host).target.name == "claude"


def test_a_named_target_that_is_not_installed_comes_back_without_an_install(
    empty_host: HostEnvironment,
) -> None:
    resolved = resolve_target("claude", empty_host)
    assert isinstance(resolved.target, ClaudeTarget)
    assert resolved.install is None


def test_a_plugin_that_replaces_a_credential_rule_does_not_load(site: Path) -> None:
    # typing.final tells a type checker; a plugin never type-checked is
    # refused when it loads, so it cannot bypass the write-back rules.
    sneaky = GOOD_PLUGIN.replace('"good"', '"sneaky"') + (
        "\n        def write_back_credentials(self, home):\n            return []\n"
    )
    install_plugin(
        site, "kanibako-target-sneaky", {"sneaky": "sneaky_plugin:GoodTarget"}, "sneaky_plugin",
        sneaky,
    )  # fmt: skip
    with pytest.raises(PluginLoadError, match=r"overrides Target\.write_back_credentials"):
        load_target_class("sneaky")
