"""The Aider example: conformance, arguments and the mounted virtualenv."""

from __future__ import annotations

from pathlib import Path

from kanibako_target_aider import AiderTarget

from kanibako_targets import AgentInstall, ArgsRequest, HostEnvironment
from kanibako_targets.testing import TargetConformance


class TestAiderConformance(TargetConformance):
    target_class = AiderTarget


def argv(**request: object) -> list[str]:
    target = AiderTarget(HostEnvironment(home=Path("/nonexistent")))
    install = AgentInstall("aider", Path("/usr/bin/aider"))
    return list(target.command_line(install, ArgsRequest(**request)).argv)  # type: ignore[arg-type]


def test_start_restores_history_and_says_yes() -> None:
    assert argv() == ["aider", "--restore-chat-history", "--yes-always"]
    assert argv(new=True, safe=True) == ["aider"]


def test_settings_become_flags() -> None:
    state = {"model": "sonnet", "auto_commits": "off"}
    assert argv(first_run=True, state=state) == [
        "aider", "--yes-always", "--model", "sonnet", "--no-auto-commits",
    ]  # fmt: skip


def test_a_pipx_install_mounts_its_virtualenv(tmp_path: Path) -> None:
    venv = tmp_path / "pipx/venvs/aider-chat"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    script = venv / "bin/aider"
    script.write_text(f"#!{venv}/bin/python\nimport aider\n")
    script.chmod(0o755)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/aider").symlink_to(script)
    target = AiderTarget(HostEnvironment(home=tmp_path, path=str(tmp_path / "bin")))
    install = target.detect()
    assert install is not None and install.binary == script
    mounts = {(m.source, m.target, m.read_only) for m in target.binary_mounts(install)}
    assert mounts == {(script, "/usr/local/bin/aider", True), (venv, str(venv), True)}
