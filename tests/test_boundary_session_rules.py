"""Issue 12's attacks, repeated from inside a real rootful Podman session, then checked on the host.

One container run per scenario carries a batch of attacks (engine time is
shared). kanibako-base has git, which the control-file rules need.
"""

from __future__ import annotations

import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.image_builds import ensure_test_base
from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base_image(engine: str) -> str:
    return ensure_test_base(engine)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(isolated_home: Path) -> Iterator[Path]:
    """A git project in a world-traversable directory (user nobody must reach its files)."""
    root = Path(tempfile.mkdtemp(prefix="kanibako-protect-"))
    root.chmod(0o755)
    path = root / "proj"
    path.mkdir()
    _git(path, "init", "-q")
    _git(path, "config", "user.email", "host@example.invalid")
    _git(path, "config", "user.name", "host")
    (path / "f").write_text("x\n")
    (path / ".envrc").write_text("echo host\n")
    (path / ".vscode").mkdir()
    (path / ".vscode" / "tasks.json").write_text("{}\n")
    _git(path, "add", "f")
    _git(path, "commit", "-qm", "init")
    yield path
    shutil.rmtree(root, ignore_errors=True)


def _session(project: Path, image: str, script: str) -> subprocess.CompletedProcess[str]:
    (project / "attack.sh").write_text(script)
    return kanibako("-p", str(project), "shell", "--no-helpers", "-i", image, "-c", "sh attack.sh")


def _metadata(project: Path) -> Path:
    """The project's state directory, as ``status`` names it (made, to write project.toml)."""
    shown = kanibako("-p", str(project), "status").stdout.splitlines()
    metadata = Path(next(line.split(None, 1)[1] for line in shown if line.startswith("Metadata")))
    metadata.mkdir(parents=True, exist_ok=True)
    return metadata


CONTROL_ATTACKS = """\
echo evil > .git/hooks/pre-commit 2>/dev/null && echo HOOK-WRITTEN
git config core.hooksPath /tmp 2>/dev/null && echo CONFIG-WRITTEN
git config core.fsmonitor 'touch /tmp/pwned' 2>/dev/null && echo FSMONITOR-WRITTEN
mv .git .git-away 2>/dev/null && echo GIT-RENAMED
echo evil >> .envrc 2>/dev/null && echo ENVRC-WRITTEN
rm -f .envrc 2>/dev/null && echo ENVRC-REMOVED
echo evil > .vscode/tasks.json 2>/dev/null && echo VSCODE-WRITTEN
echo 'job: {script: evil}' > .gitlab-ci.yml
git config --global user.email a@b.invalid && git config --global user.name agent
echo y > g && git add g && git commit -qm two && git branch side && echo z > g \\
  && git stash -q && git stash pop -q && git fetch -q . side:fetched && echo GIT-WORKS
cp /bin/sh suidsh && cp /bin/sh "$HOME/sgidsh"
chmod 4755 suidsh 2>/dev/null || echo SUID-REFUSED
chmod 2755 "$HOME/sgidsh" 2>/dev/null || echo SGID-REFUSED
grep -e NoNewPrivs -e CapEff /proc/self/status
cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes
"""


def test_control_files_git_setuid_privileges_and_limits(
    repo: Path, base_image: str, isolated_home: Path
) -> None:
    inode = (repo / ".git").stat().st_ino
    done = _session(repo, base_image, CONTROL_ATTACKS)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    for refused in ("HOOK", "CONFIG", "FSMONITOR", "GIT-RENAMED", "ENVRC", "VSCODE"):
        assert not any(line.startswith(refused) for line in out), (refused, out)
    # git keeps working on objects, refs, index, stash and fetch.
    assert "GIT-WORKS" in out
    # The seccomp profile refuses setuid/setgid bits: no such file exists even mid-session.
    assert "SUID-REFUSED" in out and "SGID-REFUSED" in out
    assert "NoNewPrivs:\t1" in out and "CapEff:\t0000000000000000" in out
    assert out[-2:] == ["4096", str(8 * 1024**3)]  # the default [limits]
    # On the host: .git is the same directory, its config and hooks untouched.
    assert (repo / ".git").stat().st_ino == inode
    assert "hooksPath" not in (repo / ".git" / "config").read_text()
    assert "fsmonitor" not in (repo / ".git" / "config").read_text()
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    assert (repo / ".envrc").read_text() == "echo host\n"
    assert (repo / ".vscode" / "tasks.json").read_text() == "{}\n"
    assert _git(repo, "log", "--format=%s").split() == ["two", "init"]
    # The control file made in the session is named when it ends.
    assert "'.gitlab-ci.yml' was created or changed" in done.stderr
    # No setuid shell was made (the sweep had nothing to clear); user nobody gets no root.
    suid = repo / "suidsh"
    assert not suid.stat().st_mode & (stat.S_ISUID | stat.S_ISGID)
    assert "bits made in the session were cleared" not in done.stderr
    sgid = next(isolated_home.glob(".local/share/kanibako/boxes/*/shell/sgidsh"))
    assert not sgid.stat().st_mode & stat.S_ISGID
    as_nobody = subprocess.run(
        ["su", "nobody", "-s", str(suid), "-c", "id -u"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert as_nobody.stdout.strip() == str(pwd.getpwnam("nobody").pw_uid), as_nobody


def test_protect_config_and_privileged_variant(
    repo: Path, base_image: str, isolated_home: Path
) -> None:
    (repo / "Makefile").write_text("all:\n")
    (repo / ".claude").mkdir()
    (repo / ".claude" / "settings.json").write_text("{}\n")
    metadata = _metadata(repo)
    (metadata / "project.toml").write_text(
        '[protect]\nextra = ["Makefile"]\nwritable = [".envrc"]\nprivileged = true\n'
        '[limits]\nmemory = "512m"\npids = 300\n'
    )
    script = (
        "echo evil > Makefile 2>/dev/null && echo MAKEFILE-WRITTEN\n"
        "echo ok >> .envrc && echo ENVRC-WRITABLE\n"
        "echo evil > .claude/settings.json 2>/dev/null && echo SETTINGS-WRITTEN\n"
        "cp /bin/sh suidsh && chmod 4755 suidsh\n"
        "grep NoNewPrivs /proc/self/status\n"
        "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes\n"
    )
    done = _session(repo, base_image, script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ENVRC-WRITABLE",
        "NoNewPrivs:\t0",
        "300",
        str(512 * 1024**2),
    ]
    assert (repo / "Makefile").read_text() == "all:\n"
    # Privileged: no seccomp narrowing, so the file is made; the sweep clears and names it.
    assert not (repo / "suidsh").stat().st_mode & stat.S_ISUID
    assert "suidsh" in done.stderr
    shown = kanibako("-p", str(repo), "status")
    assert "memory 512m" in shown.stdout and "pids 300" in shown.stdout


def test_bad_protect_or_limits_value_is_one_line_and_exit_2(repo: Path, base_image: str) -> None:
    metadata = _metadata(repo)
    for bad in ('[protect]\nextra = ["../x"]\n', '[limits]\nmemory = "lots"\n'):
        (metadata / "project.toml").write_text(bad)
        done = _session(repo, base_image, "echo RAN\n")
        assert done.returncode == 2, done.stderr
        assert "RAN" not in done.stdout
        assert len(done.stderr.strip().splitlines()) == 1 and "project.toml" in done.stderr


def test_shared_cache_is_a_layer_and_kanibakos_own_files_are_hidden(
    isolated_home: Path, base_image: str
) -> None:
    assert kanibako("shared", "init", "pip").returncode == 0
    shared = next(isolated_home.glob(".local/share/kanibako/shared/global/pip"))
    (shared / "seed").write_text("shared\n")
    outer = isolated_home / "a"
    inner = outer / "nested"
    inner.mkdir(parents=True)
    assert kanibako("init", "--local", "-p", str(inner)).returncode == 0
    other = isolated_home / "b"
    other.mkdir()
    plant = (
        "cat ~/.cache/pip/seed; echo planted > ~/.cache/pip/evil-wheel; echo mine > ~/.cache/pip/seed\n"
        "find nested/.kanibako nested/vault -mindepth 1 | wc -l\n"
        "echo ANTHROPIC_BASE_URL=http://evil > nested/.kanibako/env 2>/dev/null && echo NESTED-WRITTEN\n"
        "true\n"
    )
    done = _session(outer, base_image, plant)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["shared", "0"]
    assert sorted(p.name for p in shared.iterdir()) == ["seed"]
    assert (shared / "seed").read_text() == "shared\n"
    assert not (inner / ".kanibako" / "env").exists()
    seen = _session(other, base_image, "ls ~/.cache/pip; cat ~/.cache/pip/seed\n")
    assert seen.stdout.splitlines() == ["seed", "shared"], seen.stderr
    again = _session(outer, base_image, "cat ~/.cache/pip/evil-wheel ~/.cache/pip/seed\n")
    assert again.stdout.splitlines() == ["planted", "mine"], again.stderr  # kept per project
    # The home directory as the project: the bundle, cache, config and data are out of reach.
    cache = isolated_home / ".cache" / "kanibako"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "bundle.pyz").write_text("host\n")
    home = _session(
        isolated_home,
        base_image,
        "find .cache/kanibako .local/share/kanibako -mindepth 1 | wc -l; "
        "echo evil > .cache/kanibako/bundle.pyz 2>/dev/null && echo BUNDLE-WRITTEN; true\n",
    )
    assert home.returncode == 0, home.stderr
    assert home.stdout.split() == ["0"], home.stdout
    assert (cache / "bundle.pyz").read_text() == "host\n"
