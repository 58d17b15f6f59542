"""The rootless test user, as a fixture any real-engine test may ask for (``rootless``).

The user is $KANIBAKO_TEST_ROOTLESS_USER (default kanibako-ci, created by
.ci/setup-machine.sh). The dev venv's interpreter may live where that user
cannot go (e.g. pyenv under /root), so kanibako runs with a Python the user
can execute and the venv's site-packages added (they must be readable: the
fixture checks and says so). Registered from tests/conftest.py.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import session_guards

USER = os.environ.get("KANIBAKO_TEST_ROOTLESS_USER", "kanibako-ci")


def _as_user(
    command: str, *, input_bytes: bytes | None = None, user: str = USER
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["su", user, "-s", "/bin/bash", "-c", command],
        input=input_bytes,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _user_can(test: str, user: str = USER) -> bool:
    return _as_user(f"cd /tmp && {test}", user=user).returncode == 0


def _python_for_user(user: str) -> str:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys.executable), f"/usr/bin/python{version}"):
        probe = f"{shlex.quote(candidate)} -c 'import sys; assert sys.version_info[:2] == ({version.replace('.', ', ')})'"
        if Path(candidate).exists() and _user_can(probe, user):
            return candidate
    pytest.fail(
        f"no Python {version} that user {user} can run (venv interpreter: {sys.executable})"
    )


@dataclass(frozen=True)
class RootlessUser:
    """The test user, a private directory of theirs, and how to run kanibako as them."""

    name: str
    uid: int
    root: Path
    launcher: Path
    env: dict[str, str]

    def kanibako(self, project: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
        return _as_user(self.command(project, *args), user=self.name)

    def command(self, project: Path, *args: str) -> str:
        """The shell command that runs ``kanibako ARGS`` as the user in ``project``."""
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        return f"cd {shlex.quote(str(project))} && env {assignments} {self.launcher} " + " ".join(
            shlex.quote(a) for a in args
        )

    def argv(self, project: Path, *args: str) -> list[str]:
        """``kanibako ARGS`` as the user, for a process the test starts itself (a pty)."""
        return ["su", self.name, "-s", "/bin/bash", "-c", self.command(project, *args)]

    def session_containers(self, workspace: Path) -> list[str]:
        """The user's running session containers of ``workspace``."""
        running = _user_session_containers()
        return [name for name, where in running.items() if where == str(workspace)]

    def start(self, project: Path, *args: str) -> subprocess.Popen[str]:
        """``kanibako ARGS`` as this user in the background (its own process group)."""
        return subprocess.Popen(
            self.argv(project, *args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def load_image(self, image: str) -> None:
        """Copy ``image`` from root's Podman into this user's storage (once)."""
        if not _user_can(f"podman image exists {shlex.quote(image)}", self.name):
            saved = subprocess.run(["podman", "save", image], capture_output=True, check=True)
            loaded = _as_user("cd /tmp && podman load", input_bytes=saved.stdout, user=self.name)
            assert loaded.returncode == 0, loaded.stderr.decode()


@contextmanager
def user_sandbox(user: str, what: str, env: dict[str, str]) -> Iterator[RootlessUser]:
    """``user`` with a private temp tree (config, data, cache, projects) and a kanibako launcher.

    ``what`` names the tests in failures; ``env`` is added to the user's
    environment. The tree is the user's, and removed afterwards.
    """
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        pytest.fail(f"{what} need user {user!r} (run .ci/setup-machine.sh as root)")
    if os.geteuid() != 0:
        pytest.fail(f"{what} switch to the test user with su: run them as root")
    root = Path(tempfile.mkdtemp(prefix=f"{user}-"))
    root.chmod(0o755)
    try:
        python = _python_for_user(user)
        site_dirs = [d for d in site.getsitepackages() if Path(d).is_dir()]
        for directory in site_dirs:
            readable = f"test -r {shlex.quote(directory)} -a -x {shlex.quote(directory)}"
            if not _user_can(readable, user):
                pytest.fail(
                    f"user {user} cannot read {directory}: make the checkout world-readable"
                )
        launcher = root / "kanibako"
        code = (
            "import site, sys\n"
            f"for d in {site_dirs!r}: site.addsitedir(d)\n"
            "from kanibako.cli import main\n"
            "sys.argv[0] = 'kanibako'\n"
            "main()\n"
        )
        launcher.write_text(f'#!/bin/sh\nexec {python} -c {shlex.quote(code)} "$@"\n')
        launcher.chmod(0o755)
        config = root / "config"
        (config / "containers").mkdir(parents=True)
        (config / "kanibako.toml").write_text(f'[paths]\ndata_path = "{root / "data"}"\n')
        for sub in ("data", "cache", "projects"):
            (root / sub).mkdir()
        subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(root)], check=True)
        env = {
            "XDG_CONFIG_HOME": str(config),
            "KANIBAKO_KEEP_WARM": "0",  # standbys only where a test asks (--keep-warm)
            "XDG_CACHE_HOME": str(root / "cache"),
            # su keeps the caller's PATH, which may name root-only directories.
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            # Never Anthropic's real token issuer (a test sets a loopback one).
            "KANIBAKO_CLAUDE_ISSUER_URL": "",
            **env,
        }
        yield RootlessUser(user, account.pw_uid, root, launcher, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def rootless(busybox_image: str) -> Iterator[RootlessUser]:
    """The rootless test user, set up once per test module (fails when it is missing)."""
    with user_sandbox(USER, "rootless tests", {}) as user:
        own = Path(pwd.getpwnam(USER).pw_dir) / ".config" / "containers"
        for conf in ("containers.conf", "storage.conf"):
            if (own / conf).is_file():
                copied = user.root / "config" / "containers" / conf
                shutil.copy(own / conf, copied)
                os.chown(copied, user.uid, -1)
        user.load_image(busybox_image)
        yield user
        _fail_on_leftovers(user.root)


def _user_session_containers() -> dict[str, str]:
    done = _as_user("cd /tmp && podman " + shlex.join(session_guards.PS_ARGS))
    assert done.returncode == 0, done.stderr.decode()
    return session_guards.parse_ps(done.stdout.decode())


def _fail_on_leftovers(root: Path) -> None:
    """The user's own engine is not the one the run's guard watches: check it here."""
    left = session_guards.still_running(
        _user_session_containers, lambda _, workspace: Path(workspace).is_relative_to(root)
    )
    if left:
        _as_user(f"cd /tmp && podman kill {shlex.join(left)}; podman rm -f {shlex.join(left)}")
        pytest.fail(f"rootless tests left containers running (now removed): {', '.join(left)}")
