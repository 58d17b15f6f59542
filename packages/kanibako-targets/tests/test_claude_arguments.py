"""Claude's command line for start/resume, -N, -S, first run, settings and extra args."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_targets import AgentInstall, ArgsRequest, HostEnvironment
from kanibako_targets.claude import ClaudeTarget

INSTALL = AgentInstall(command="claude", binary=Path("/opt/claude"))
DEFAULTS = {"model": "opus", "access": "permissive"}


@pytest.fixture
def claude(tmp_path: Path) -> ClaudeTarget:
    return ClaudeTarget(HostEnvironment(home=tmp_path, path=""))


def argv(claude: ClaudeTarget, default_args: tuple[str, ...] = (), **request: object) -> list[str]:
    request.setdefault("state", DEFAULTS)
    line = claude.command_line(INSTALL, ArgsRequest(**request), default_args)  # type: ignore[arg-type]
    return list(line.argv)


def test_start_continues_and_skips_permissions_by_default(claude: ClaudeTarget) -> None:
    assert argv(claude) == [
        "claude", "--continue", "--dangerously-skip-permissions", "--model", "opus",
    ]  # fmt: skip


def test_first_run_and_new_do_not_continue(claude: ClaudeTarget) -> None:
    assert "--continue" not in argv(claude, first_run=True)
    assert "--continue" not in argv(claude, new=True)


def test_resume_passes_resume_and_never_continue(claude: ClaudeTarget) -> None:
    args = argv(claude, mode="resume")
    assert "--resume" in args
    assert "--continue" not in args


def test_safe_mode_keeps_permission_prompts(claude: ClaudeTarget) -> None:
    assert "--dangerously-skip-permissions" not in argv(claude, safe=True)


def test_access_default_keeps_permission_prompts(claude: ClaudeTarget) -> None:
    args = argv(claude, state={"model": "opus", "access": "default"})
    assert "--dangerously-skip-permissions" not in args


def test_model_setting_becomes_model_flag_and_empty_means_none(claude: ClaudeTarget) -> None:
    assert argv(claude, state={"model": "sonnet"})[-2:] == ["--model", "sonnet"]
    assert "--model" not in argv(claude, state={"model": ""})


def test_default_args_come_first_and_extra_args_last(claude: ClaudeTarget) -> None:
    args = argv(claude, default_args=("--verbose",), extra_args=("--add-dir", "/x"))
    assert args[:2] == ["claude", "--verbose"]
    assert args[-2:] == ["--add-dir", "/x"]


def test_the_read_only_binary_is_not_asked_to_update_itself(claude: ClaudeTarget) -> None:
    line = claude.command_line(INSTALL, ArgsRequest(state=DEFAULTS))
    assert line.env["DISABLE_AUTOUPDATER"] == "1"


def test_settings_declare_model_and_constrained_access(claude: ClaudeTarget) -> None:
    by_key = {d.key: d for d in claude.setting_descriptors()}
    assert by_key["model"].default == "opus" and by_key["model"].choices is None
    assert by_key["access"].choices == ("permissive", "default")
    assert dict(claude.generate_agent_config().state) == DEFAULTS


def test_skipping_permissions_tells_claude_it_runs_in_a_sandbox(claude: ClaudeTarget) -> None:
    # Claude refuses --dangerously-skip-permissions as uid 0 without IS_SANDBOX,
    # and a session started by root runs as 0:0 in its container.
    permissive = claude.command_line(INSTALL, ArgsRequest(state=DEFAULTS))
    assert "--dangerously-skip-permissions" in permissive.argv
    assert permissive.env["IS_SANDBOX"] == "1"
    safe = claude.command_line(INSTALL, ArgsRequest(state=DEFAULTS, safe=True))
    assert "IS_SANDBOX" not in safe.env
