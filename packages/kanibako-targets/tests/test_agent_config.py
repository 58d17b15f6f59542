"""Agent TOML: generated once from the target, then the user's to edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_targets import HostEnvironment
from kanibako_targets.claude import ClaudeTarget
from kanibako_targets.internal import (
    AgentConfigError,
    agent_config_path,
    ensure_agent_config,
    load_agent_config,
)


@pytest.fixture
def claude(tmp_path: Path) -> ClaudeTarget:
    return ClaudeTarget(HostEnvironment(home=tmp_path, path=""))


def test_generated_on_first_use_with_the_spec_sections(
    tmp_path: Path, claude: ClaudeTarget
) -> None:
    agents = tmp_path / "agents"
    config = ensure_agent_config(agents, claude)
    text = agent_config_path(agents, "claude").read_text()
    for section in ("[agent]", "[state]", "[env]", "[shared]"):
        assert section in text
    assert config.name == "Claude Code"
    assert config.shell == "standard"
    assert config.default_args == ()
    assert dict(config.state) == {"model": "opus", "access": "permissive"}


def test_user_edits_are_kept(tmp_path: Path, claude: ClaudeTarget) -> None:
    agents = tmp_path / "agents"
    ensure_agent_config(agents, claude)
    path = agent_config_path(agents, "claude")
    path.write_text(
        '[agent]\nname = "Mine"\nshell = "empty"\ndefault_args = ["--verbose"]\n'
        '[state]\nmodel = "sonnet"\nretries = 3\n[env]\nFOO = "bar baz"\n'
        '[shared]\nplugins = ".claude/plugins"\n'
    )
    config = ensure_agent_config(agents, claude)
    assert (config.name, config.shell, config.default_args) == ("Mine", "empty", ("--verbose",))
    assert dict(config.state) == {"model": "sonnet", "retries": "3"}
    assert dict(config.env) == {"FOO": "bar baz"}
    assert dict(config.shared) == {"plugins": ".claude/plugins"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[agent\nname = 1", r"claude\.toml: .*line 1"),
        ("[agent]\ndefault_args = 'x'", r"claude\.toml: agent\.default_args"),
        ("[env]\nFOO = 1", r"claude\.toml: env\.FOO: expected a string"),
        ("[state]\nmodel = ['a']", r"claude\.toml: state\.model"),
        ("[shared]\nx = '/etc'", r"claude\.toml: shared\.x"),
        ("[bogus]\n", r"claude\.toml: unknown section \[bogus\]"),
    ],
)
def test_malformed_files_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "claude.toml"
    path.write_text(text)
    with pytest.raises(AgentConfigError, match=message) as caught:
        load_agent_config(path)
    assert caught.value.exit_code == 2
