"""The shell skeleton (run by a real bash), upgrades of old shells, and layered templates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kanibako_paths import (
    KanibakoPaths,
    ensure_initialized,
    init_project,
    resolve_project,
    resolve_template,
    upgrade_shell,
    write_shell_skeleton,
)


def _interactive_bash(home: Path, command: str, **env: str) -> str:
    result = subprocess.run(
        ["bash", "-i", "-c", command],
        env={"HOME": str(home), "PATH": os.environ["PATH"], "TERM": "dumb", **env},
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    return result.stdout


def test_bashrc_sources_shell_d_and_takes_ps1_from_kanibako_ps1(tmp_path: Path) -> None:
    write_shell_skeleton(tmp_path)
    (tmp_path / ".shell.d/greet.sh").write_text("export GREETING=hello\n")
    out = _interactive_bash(tmp_path, 'echo "$GREETING|$PS1"', KANIBAKO_PS1="(demo) $ ")
    assert out.strip() == "hello|(demo) $"


def test_login_profile_reads_bashrc(tmp_path: Path) -> None:
    write_shell_skeleton(tmp_path)
    (tmp_path / ".shell.d/x.sh").write_text("export FROM_SHELL_D=1\n")
    result = subprocess.run(
        ["bash", "-l", "-i", "-c", "echo $FROM_SHELL_D"],
        env={"HOME": str(tmp_path), "PATH": os.environ["PATH"], "TERM": "dumb"},
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert result.stdout.strip() == "1"


def test_old_shell_without_shell_d_is_upgraded_once(tmp_path: Path) -> None:
    (tmp_path / ".bashrc").write_text("alias ll='ls -la'\nexport OLD=1")
    assert upgrade_shell(tmp_path) is True
    text = (tmp_path / ".bashrc").read_text()
    assert text.startswith("alias ll='ls -la'\nexport OLD=1\n")
    assert upgrade_shell(tmp_path) is False
    assert (tmp_path / ".bashrc").read_text() == text
    (tmp_path / ".shell.d/y.sh").write_text("export NEW=2\n")
    assert _interactive_bash(tmp_path, 'echo "$OLD$NEW"').strip() == "12"


def _template(paths: KanibakoPaths, layer: str, name: str, text: str) -> None:
    target = paths.templates_dir / layer / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def test_agent_variant_overlays_general_base(paths: KanibakoPaths, workdir: Path) -> None:
    _template(paths, "general/base", "common.txt", "base")
    _template(paths, "general/base", "over.txt", "base")
    _template(paths, "claude/standard", "over.txt", "claude")
    _template(paths, "general/standard", "general-only.txt", "general")
    project = resolve_project(paths, workdir)
    project = init_project(paths, project, agent_id="claude", template_variant="standard")
    shell = project.shell_dir
    assert (shell / "common.txt").read_text() == "base"
    assert (shell / "over.txt").read_text() == "claude"
    assert not (shell / "general-only.txt").exists()  # the agent variant wins outright


def test_general_variant_is_the_fallback(paths: KanibakoPaths) -> None:
    _template(paths, "general/standard", "g.txt", "general")
    chosen = resolve_template(paths.templates_dir, "standard", "aider")
    assert chosen == paths.templates_dir / "general/standard"
    assert resolve_template(paths.templates_dir, "missing", "aider") is None


def test_empty_variant_applies_nothing(paths: KanibakoPaths, workdir: Path) -> None:
    _template(paths, "general/base", "common.txt", "base")
    _template(paths, "general/empty", "nope.txt", "x")
    project = init_project(
        paths, resolve_project(paths, workdir), agent_id="claude", template_variant="empty"
    )
    assert not (project.shell_dir / "common.txt").exists()
    assert not (project.shell_dir / "nope.txt").exists()
    assert (project.shell_dir / ".bashrc").exists()


def test_template_bashrc_still_gets_shell_d_sourcing(paths: KanibakoPaths, workdir: Path) -> None:
    _template(paths, "general/base", ".bashrc", "export FROM_TEMPLATE=1\n")
    project = init_project(paths, resolve_project(paths, workdir), template_variant="standard")
    text = (project.shell_dir / ".bashrc").read_text()
    assert text.startswith("export FROM_TEMPLATE=1\n")
    assert ".shell.d" in text


def test_templates_wait_until_the_launch_knows_the_agent(
    paths: KanibakoPaths, workdir: Path
) -> None:
    _template(paths, "claude/standard", "agent.txt", "claude")
    project = init_project(paths, resolve_project(paths, workdir))  # `kanibako init`
    assert not (project.shell_dir / "agent.txt").exists()
    ensure_initialized(paths, project, agent_id="claude", template_variant="standard")
    assert (project.shell_dir / "agent.txt").read_text() == "claude"
    (project.shell_dir / "agent.txt").write_text("edited")
    ensure_initialized(paths, project, agent_id="claude", template_variant="standard")
    assert (project.shell_dir / "agent.txt").read_text() == "edited"  # applied once only


def test_ensure_initialized_upgrades_an_old_shell(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    (project.shell_dir / ".bashrc").write_text("# from an old version\n")
    ensure_initialized(paths, project)
    assert ".shell.d" in (project.shell_dir / ".bashrc").read_text()


def test_no_vault_init_creates_no_vault_dirs(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir), vault=False)
    assert project.vault_enabled is False
    assert not (workdir / "vault").exists()


def test_ensure_initialized_recreates_deleted_vault_dirs(
    paths: KanibakoPaths, workdir: Path
) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    project.vault_rw.rmdir()
    ensure_initialized(paths, project)
    assert project.vault_rw.is_dir()
