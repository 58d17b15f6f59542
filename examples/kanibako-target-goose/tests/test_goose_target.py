"""The Goose example: conformance (one-way secrets), env settings, home init."""

from __future__ import annotations

from pathlib import Path

import pytest
from kanibako_target_goose import GooseTarget

from kanibako_targets import AgentInstall, ArgsRequest, HostEnvironment
from kanibako_targets.testing import TargetConformance


class TestGooseConformance(TargetConformance):
    target_class = GooseTarget

    def credential_sample(self, rank: int) -> bytes:
        return f"OPENAI_API_KEY: sk-{rank}\n".encode()


@pytest.fixture
def host(tmp_path: Path) -> HostEnvironment:
    (tmp_path / "home").mkdir()
    return HostEnvironment(home=tmp_path / "home", path="")


def line(host: HostEnvironment, **request: object) -> tuple[list[str], dict[str, str]]:
    install = AgentInstall("goose", Path("/usr/bin/goose"))
    result = GooseTarget(host).command_line(install, ArgsRequest(**request))  # type: ignore[arg-type]
    return list(result.argv), dict(result.env)


def test_settings_become_environment_variables(host: HostEnvironment) -> None:
    argv, env = line(host, state={"provider": "anthropic", "model": "m", "mode": "chat"})
    assert argv == ["goose", "session", "--resume"]
    assert env == {"GOOSE_PROVIDER": "anthropic", "GOOSE_MODEL": "m", "GOOSE_MODE": "chat"}
    argv, env = line(host, new=True, safe=True, state={"mode": "auto"})
    assert argv == ["goose", "session"]
    assert env == {"GOOSE_MODE": "approve"}


def test_installer_location_is_found_without_path(host: HostEnvironment) -> None:
    binary = host.home / ".local/bin/goose"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"\x7fELF")
    binary.chmod(0o755)
    install = GooseTarget(host).detect()
    assert install is not None and install.found_via == "goose installer"


def test_config_is_seeded_only_with_shared_auth(host: HostEnvironment, tmp_path: Path) -> None:
    config = host.home / ".config/goose/config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("GOOSE_PROVIDER: anthropic\n")
    shared, distinct = tmp_path / "shared", tmp_path / "distinct"
    shared.mkdir()
    distinct.mkdir()
    GooseTarget(host).init_home(shared, share_auth=True)
    GooseTarget(host).init_home(distinct, share_auth=False)
    assert (shared / ".config/goose/config.yaml").read_text() == "GOOSE_PROVIDER: anthropic\n"
    assert not (distinct / ".config").exists()


def test_generated_config_disables_the_keyring(host: HostEnvironment) -> None:
    # The suite's test_generated_agent_config_round_trips writes and reads it back.
    config = GooseTarget(host).generate_agent_config()
    assert dict(config.env) == {"GOOSE_DISABLE_KEYRING": "1"}
    assert dict(config.state) == {"provider": "", "model": "", "mode": "auto"}
