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
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import session_guards

USER = os.environ.get("KANIBAKO_TEST_ROOTLESS_USER", "kanibako-ci")


def _as_user(
    command: str, *, input_bytes: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["su", USER, "-s", "/bin/bash", "-c", command],
        input=input_bytes,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _user_can(test: str) -> bool:
    return _as_user(f"cd /tmp && {test}").returncode == 0


def _python_for_user() -> str:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys.executable), f"/usr/bin/python{version}"):
        probe = f"{shlex.quote(candidate)} -c 'import sys; assert sys.version_info[:2] == ({version.replace('.', ', ')})'"
        if Path(candidate).exists() and _user_can(probe):
            return candidate
    pytest.fail(
        f"no Python {version} that user {USER} can run (venv interpreter: {sys.executable})"
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
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        command = (
            f"cd {shlex.quote(str(project))} && env {assignments} {self.launcher} "
            + " ".join(shlex.quote(a) for a in args)
        )
        return _as_user(command)

    def ensure_image(self, image: str) -> None:
        """Copy ``image`` from root's engine into the user's, unless it is there already."""
        load_into_user_engine(image)


def load_into_user_engine(image: str) -> None:
    """``image`` in the test user's own image store (copied from root's when missing)."""
    if not _user_can(f"podman image exists {shlex.quote(image)}"):
        saved = subprocess.run(["podman", "save", image], capture_output=True, check=True).stdout
        loaded = _as_user("cd /tmp && podman load", input_bytes=saved)
        assert loaded.returncode == 0, loaded.stderr.decode()


@pytest.fixture(scope="module")
def rootless(busybox_image: str) -> Iterator[RootlessUser]:
    """The rootless test user, set up once per test module (fails when it is missing)."""
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        pytest.fail(f"rootless tests need user {USER!r} (run .ci/setup-machine.sh as root)")
    if os.geteuid() != 0:
        pytest.fail("rootless tests switch to the test user with su: run them as root")
    root = Path(tempfile.mkdtemp(prefix="kanibako-rootless-"))
    root.chmod(0o755)
    try:
        python = _python_for_user()
        site_dirs = [d for d in site.getsitepackages() if Path(d).is_dir()]
        for directory in site_dirs:
            if not _user_can(f"test -r {shlex.quote(directory)} -a -x {shlex.quote(directory)}"):
                pytest.fail(
                    f"user {USER} cannot read {directory}: make the checkout world-readable"
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
        own = Path(account.pw_dir) / ".config" / "containers"
        for conf in ("containers.conf", "storage.conf"):
            if (own / conf).is_file():
                shutil.copy(own / conf, config / "containers" / conf)
        (config / "kanibako.toml").write_text(f'[paths]\ndata_path = "{root / "data"}"\n')
        for sub in ("data", "cache", "projects"):
            (root / sub).mkdir()
        subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(root)], check=True)
        load_into_user_engine(busybox_image)
        env = {
            "XDG_CONFIG_HOME": str(config),
            "KANIBAKO_KEEP_WARM": "0",  # standbys only where a test asks (--keep-warm)
            "XDG_CACHE_HOME": str(root / "cache"),
            # su keeps the caller's PATH, which may name root-only directories.
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            # Never Anthropic's real token issuer (a test sets a loopback one).
            "KANIBAKO_CLAUDE_ISSUER_URL": "",
        }
        yield RootlessUser(USER, account.pw_uid, root, launcher, env)
        _fail_on_leftovers(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


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
