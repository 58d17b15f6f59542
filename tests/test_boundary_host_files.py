"""The agent is untrusted: what it plants in its home must not make the host leak or write.

Real sessions (busybox) try what an agent inside could: write the read-only
mounts the hub adds, and plant symlinks at paths Kanibako reads or writes on
the host at the next launch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    return path


def _sh(project: Path, image: str, script: str, *flags: str) -> tuple[int, str, str]:
    done = kanibako("-p", str(project), "shell", *flags, "-i", image, "-c", f"sh -c '{script}'")
    return done.returncode, done.stdout, done.stderr


def test_a_bashrc_symlinked_to_a_host_file_is_not_read_into_the_home(
    project: Path, isolated_home: Path, busybox_image: str
) -> None:
    # The next launch upgrades ~/.bashrc on the host: following the agent's
    # link there would copy any host file the user can read into the home.
    secret = isolated_home / "secret.txt"
    secret.write_text("host-secret\n")
    status, _, err = _sh(project, busybox_image, f"ln -sf {secret} $HOME/.bashrc", "--no-helpers")
    assert status == 0, err
    status, out, err = _sh(project, busybox_image, "cat $HOME/.bashrc; true", "--no-helpers")
    assert status == 0, err
    assert "host-secret" not in out
    assert secret.read_text() == "host-secret\n"


def test_the_hub_files_in_the_directors_home_are_read_only(
    project: Path, isolated_home: Path, busybox_image: str
) -> None:
    script = (
        "for f in .local/bin/kanibako .kanibako/helper-messages.jsonl .kanibako/hub/director.toml "
        ".kanibako/hub/hub.sock; do "
        "test -e $HOME/$f || echo missing $f; "
        "echo x >> $HOME/$f 2>/dev/null && echo wrote $f; "
        "rm -f $HOME/$f 2>/dev/null; test -e $HOME/$f || echo removed $f; "
        "done; echo done"
    )
    status, out, err = _sh(project, busybox_image, script)
    assert status == 0, err
    assert out.splitlines() == ["done"]


def test_a_kanibako_dir_planted_in_the_workspace_does_not_take_over_the_project(
    project: Path, isolated_home: Path, busybox_image: str
) -> None:
    # Were the planted project.toml to make the project decentralized, its
    # box.shell would mount any host directory as the next session's home.
    private = isolated_home / "private"
    private.mkdir()
    (private / "key").write_text("host-secret\n")
    plant = (
        f'mkdir -p .kanibako && printf "[project]\\n[box]\\nshell = \\"{private}\\"\\n" '
        "> .kanibako/project.toml"
    )
    status, _, err = _sh(project, busybox_image, plant, "--no-helpers")
    assert status == 0, err
    assert (project / ".kanibako" / "project.toml").is_file()
    status, out, err = _sh(project, busybox_image, "cat $HOME/key; ls -A $HOME", "--no-helpers")
    assert "host-secret" not in out
    assert sorted(p.name for p in private.iterdir()) == ["key"]


def test_links_planted_where_the_hub_mounts_its_files_do_not_reach_the_host(
    project: Path, isolated_home: Path, busybox_image: str
) -> None:
    # ~/.kanibako and ~/.local hold mount points; the agent can move them aside
    # and leave links to host paths. The next session's mount points must be
    # made inside the container, never in the host directory the links name.
    victim = isolated_home / "victim"
    victim.mkdir()
    plant = f"cd $HOME && mv .kanibako .k2 && ln -s {victim} .kanibako && mv .local .l2 && ln -s {victim} .local"
    status, _, err = _sh(project, busybox_image, plant)
    assert status == 0, err
    status, out, err = _sh(
        project,
        busybox_image,
        "ls $HOME/.kanibako/hub/director.toml; echo x > $HOME/.kanibako/new; true",
    )
    assert status == 0, err
    assert "director.toml" in out  # the hub's files are still mounted, inside the container
    assert list(victim.iterdir()) == []
