"""The Codex example: conformance (with credentials), arguments, native-binary detection."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from kanibako_target_codex import CodexTarget, last_refresh

from kanibako_targets import AgentInstall, ArgsRequest, HostEnvironment
from kanibako_targets.testing import TargetConformance


def auth(day: int) -> bytes:
    return json.dumps(
        {"tokens": {"access_token": f"a{day}"}, "last_refresh": f"2025-01-{day:02d}T00:00:00Z"}
    ).encode()


class TestCodexConformance(TargetConformance):
    target_class = CodexTarget

    def credential_sample(self, rank: int) -> bytes:
        return auth(rank + 1)


def argv(**request: object) -> list[str]:
    target = CodexTarget(HostEnvironment(home=Path("/nonexistent")))
    install = AgentInstall("codex", Path("/usr/bin/codex"))
    return list(target.command_line(install, ArgsRequest(**request)).argv)  # type: ignore[arg-type]


def test_freshness_is_the_last_refresh_time() -> None:
    assert last_refresh(auth(2)) > last_refresh(auth(1))  # type: ignore[operator]
    assert last_refresh(b'{"OPENAI_API_KEY": "sk"}') is None


def test_arguments_for_each_mode() -> None:
    bypass = "--dangerously-bypass-approvals-and-sandbox"
    assert argv() == ["codex", "resume", "--last", bypass]
    assert argv(mode="resume") == ["codex", "resume", bypass]
    assert argv(new=True, safe=True) == ["codex", "--ask-for-approval", "on-request"]
    state = {"approval": "untrusted", "model": "o4"}
    assert argv(first_run=True, state=state) == [
        "codex", "--ask-for-approval", "untrusted", "--model", "o4",
    ]  # fmt: skip


def test_the_npm_launcher_is_replaced_by_its_native_binary(tmp_path: Path) -> None:
    package = tmp_path / "lib/node_modules/@openai/codex"
    launcher = package / "bin/codex.js"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/usr/bin/env node\n")
    launcher.chmod(0o755)
    native = package / f"vendor/{platform.machine()}-unknown-linux-musl/codex/codex"
    native.parent.mkdir(parents=True)
    native.write_bytes(b"\x7fELF")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/codex").symlink_to(launcher)
    install = CodexTarget(HostEnvironment(home=tmp_path, path=str(tmp_path / "bin"))).detect()
    assert install is not None
    assert (install.binary, install.found_via) == (native, "npm (native binary)")
