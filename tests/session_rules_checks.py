"""One batch of issue 12's mount attacks and its host-side checks, for every engine's test.

A busybox session writes at control files, tries to rename ``.git``, plants
into a shared pip cache and tries to make a setuid file; the host then checks that
nothing of it escaped (rootless Podman and Docker run the same batch).
"""

from __future__ import annotations

import stat
from pathlib import Path

ATTACK = """\
echo evil > .vscode/tasks.json 2>/dev/null && echo VSCODE-WRITTEN
echo evil > .git/config 2>/dev/null && echo CONFIG-WRITTEN
mv .git .git-away 2>/dev/null && echo GIT-RENAMED
echo new > .git/objects/probe && echo OBJECTS-WRITABLE
cat ~/.cache/pip/seed; echo planted > ~/.cache/pip/wheel; echo mine > ~/.cache/pip/seed
cp /bin/busybox suid && { chmod 4755 suid 2>/dev/null || echo SUID-REFUSED; }
grep NoNewPrivs /proc/self/status
true
"""
EXPECTED_OUTPUT = ["OBJECTS-WRITABLE", "shared", "SUID-REFUSED", "NoNewPrivs:\t1"]
READ_BACK = "cat /home/agent/.cache/pip/wheel /home/agent/.cache/pip/seed"
READ_BACK_OUTPUT = ["planted", "mine"]


def prepare(project: Path) -> int:
    """Control files, a bare ``.git`` and the attack script in ``project``; ``.git``'s inode."""
    (project / ".vscode").mkdir(parents=True)
    (project / ".vscode" / "tasks.json").write_text("{}\n")
    (project / ".git" / "objects").mkdir(parents=True)
    (project / ".git" / "config").write_text("[core]\n")
    (project / "attack.sh").write_text(ATTACK)
    return (project / ".git").stat().st_ino


def seed(shared_pip: Path) -> None:
    """What the shared cache holds before the session."""
    (shared_pip / "seed").write_text("shared\n")


def check_host(project: Path, inode: int, shared_pip: Path, stderr: str) -> None:
    """Nothing the session wrote reached the control files, ``.git`` or the shared cache."""
    assert (project / ".vscode" / "tasks.json").read_text() == "{}\n"
    assert (project / ".git" / "config").read_text() == "[core]\n"
    assert (project / ".git").stat().st_ino == inode
    assert sorted(p.name for p in shared_pip.iterdir()) == ["seed"]
    assert (shared_pip / "seed").read_text() == "shared\n"
    # Refused by the seccomp profile: nothing for the teardown sweep to clear.
    assert not (project / "suid").stat().st_mode & stat.S_ISUID
    assert "bits made in the session were cleared" not in stderr
