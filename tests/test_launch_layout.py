"""A real session's container layout (spec "Container Layout"), with the busybox image.

busybox has no `agent` user and no bash: the layout must still work, since
Kanibako sets HOME itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    (path / "hello.txt").write_text("hi\n")
    return path


def _sh(project: Path, image: str, script: str, *root: str) -> tuple[int, str, str]:
    done = kanibako(
        *root, "-p", str(project), "shell", "--no-helpers", "-i", image, "-c", f"sh -c '{script}'"
    )
    return done.returncode, done.stdout, done.stderr


def test_layout_home_workspace_and_vault(project: Path, busybox_image: str) -> None:
    (project / "vault" / "share-ro").mkdir(parents=True)
    (project / "vault" / "share-ro" / "ref.txt").write_text("ref\n")
    script = (
        'echo "home=$HOME cwd=$(pwd)"; cat hello.txt; cat $HOME/share-ro/ref.txt; '
        "ls -A /home/agent/workspace/vault | wc -l; "
        "touch $HOME/share-ro/new 2>/dev/null && echo ro-writable; "
        "touch /home/agent/workspace/vault/new 2>/dev/null && echo vault-writable; "
        "echo rw > $HOME/share-rw/out.txt; echo done"
    )
    status, out, err = _sh(project, busybox_image, script)
    assert status == 0, err
    assert out.splitlines() == [
        "home=/home/agent cwd=/home/agent/workspace",
        "hi",
        "ref",
        "0",
        "done",
    ]
    # The vault is hidden in the container, not touched on the host.
    assert sorted(p.name for p in (project / "vault").iterdir()) == ["share-ro", "share-rw"]
    assert not (project / "vault" / "share-ro" / "new").exists()
    assert (project / "vault" / "share-rw" / "out.txt").read_text() == "rw\n"


def test_files_in_home_persist_between_sessions(project: Path, busybox_image: str) -> None:
    status, _, err = _sh(project, busybox_image, "echo kept > $HOME/note; mkdir -p $HOME/.cfg")
    assert status == 0, err
    status, out, err = _sh(project, busybox_image, "cat $HOME/note; ls -d $HOME/.cfg")
    assert status == 0, err
    assert out.splitlines() == ["kept", "/home/agent/.cfg"]


def test_exit_status_of_the_command_is_kanibakos(project: Path, busybox_image: str) -> None:
    assert _sh(project, busybox_image, "exit 7")[0] == 7
    assert _sh(project, busybox_image, "true")[0] == 0


def test_env_files_reach_the_container_and_verbose_hides_their_values(
    project: Path, busybox_image: str, isolated_home: Path
) -> None:
    data = isolated_home / ".local/share/kanibako"
    data.mkdir(parents=True, exist_ok=True)
    (data / "env").write_text("GREETING=hello from global\nSECRET_TOKEN=global-secret\n")
    status, _, err = _sh(project, busybox_image, "true")  # initializes the project
    assert status == 0, err
    box = next((data / "boxes").iterdir())
    (box / "env").write_text("SECRET_TOKEN=project-secret-value\n")
    status, out, err = _sh(project, busybox_image, 'echo "$GREETING|$SECRET_TOKEN"', "-v")
    assert status == 0, err
    assert out.strip() == "hello from global|project-secret-value"
    assert "podman run" in err or "docker run" in err
    assert "SECRET_TOKEN" in err
    assert "project-secret-value" not in err and "global-secret" not in err


def test_shared_caches_mount_only_when_their_host_dir_exists(
    project: Path, busybox_image: str, isolated_home: Path
) -> None:
    config = isolated_home / ".config" / "kanibako.toml"
    config.write_text('[shared]\npip = ".cache/pip"\nnpm = ".npm"\n')
    pip = isolated_home / ".local/share/kanibako/shared/global/pip"
    pip.mkdir(parents=True)
    (pip / "wheel").write_text("w\n")
    status, out, err = _sh(
        project, busybox_image, "cat $HOME/.cache/pip/wheel; ls -d $HOME/.npm 2>&1 | grep -c No"
    )
    assert status == 0, err
    assert out.splitlines() == ["w", "1"]


def test_a_built_in_shared_cache_needs_no_config_entry(
    project: Path, busybox_image: str, isolated_home: Path
) -> None:
    cargo = isolated_home / ".local/share/kanibako/shared/global/cargo"
    cargo.mkdir(parents=True)
    (cargo / "index").write_text("crates\n")
    status, out, err = _sh(project, busybox_image, "cat $HOME/.cargo/registry/index")
    assert (status, out) == (0, "crates\n"), err


def test_a_missing_local_image_is_one_clear_error(project: Path) -> None:
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", "localhost/kanibako-none:x", "-c", "true"
    )
    assert done.returncode != 0
    assert "kanibako-none" in done.stderr
    assert "Traceback" not in done.stderr


def test_bare_kanibako_starts_a_session_with_the_top_level_flags(
    project: Path, busybox_image: str
) -> None:
    done = kanibako("-p", str(project), "-i", busybox_image, "--no-helpers", "-c", "sh -c 'exit 4'")
    assert done.returncode == 4, done.stderr


def test_a_project_at_home_cannot_reach_kanibakos_config_or_data(
    isolated_home: Path, busybox_image: str
) -> None:
    config = isolated_home / ".config" / "kanibako.toml"
    config.write_text("# the user's\n")
    script = (
        "cd ~/workspace; cat .config/kanibako.toml; echo x > .config/kanibako.toml; "
        "ls -A .local/share/kanibako; touch .local/share/kanibako/x 2>/dev/null && echo writable; "
        "echo done"
    )
    status, out, err = _sh(isolated_home, busybox_image, script)
    assert status == 0, err
    assert out.splitlines() == ["done"]
    assert config.read_text() == "# the user's\n"
    assert not (isolated_home / ".local/share/kanibako/x").exists()


def _c(project: Path, image: str, command: str) -> subprocess.CompletedProcess[str]:
    return kanibako("-p", str(project), "shell", "--no-helpers", "-i", image, "-c", command)


def test_c_with_shell_syntax_runs_through_sh_and_its_status_is_kanibakos(
    project: Path, busybox_image: str
) -> None:
    done = _c(project, busybox_image, "echo one && echo two; cat hello.txt | wc -l")
    assert (done.returncode, done.stdout) == (0, "one\ntwo\n1\n"), done.stderr
    assert _c(project, busybox_image, "exit 7").returncode == 7
    assert _c(project, busybox_image, "false || exit 3").returncode == 3


def test_c_plain_command_keeps_a_quoted_argument_whole(project: Path, busybox_image: str) -> None:
    done = _c(project, busybox_image, "printf '[%s]' 'two  words' \"and $ more\"")
    assert (done.returncode, done.stdout) == (0, "[two  words][and $ more]"), done.stderr
    assert _c(project, busybox_image, "false").returncode == 1
