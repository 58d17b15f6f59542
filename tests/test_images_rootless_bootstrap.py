"""Rootless, from nothing: the CI's ordinary user runs ``kanibako setup`` without a registry.

Debian is bootstrapped with mmdebstrap in a user namespace (no root at all),
kanibako-base is built on it with the user's rootless Podman, and a session
runs in it. The images are removed before and after, so every run takes the
whole route (about 35 s).
"""

from __future__ import annotations

import shlex
import subprocess

import pytest

from kanibako.images.bootstrap import BOOTSTRAP_IMAGE
from kanibako_paths import DEFAULT_IMAGE
from tests.rootless_fixtures import RootlessUser, _as_user

pytestmark = pytest.mark.integration

CHECKS = (
    "id -u; cat /etc/debian_version; "
    "find /usr/share/doc -type f ! -name copyright | wc -l; ls /usr/share/man | wc -l; "
    "cat /etc/dpkg/dpkg.cfg.d/kanibako-slim | grep -c path-exclude; "
    "grep -h '^URIs' /etc/apt/sources.list.d/debian.sources | head -1; "
    "dpkg -s usrmerge >/dev/null 2>&1 && echo usrmerge || echo no-usrmerge; "
    "test -e /etc/apt/sources.list || echo no-sources-list"
)


def _remove_images() -> None:
    # Any current Kanibako build in the user's store would be reused by setup
    # (another test may have loaded the test base image there): remove them all.
    _as_user(
        f"cd /tmp && podman rmi {DEFAULT_IMAGE} {BOOTSTRAP_IMAGE};"
        " podman images -q --filter label=io.kanibako.recipe | xargs -r podman rmi -f"
    )


def test_a_rootless_user_sets_up_from_nothing_on_a_trimmed_bootstrapped_debian(
    rootless: RootlessUser,
) -> None:
    _remove_images()  # a leftover would be reused
    project = rootless.root / "projects" / "setup"
    project.mkdir()
    subprocess.run(["chown", str(rootless.uid), str(project)], check=True)
    try:
        setup = rootless.kanibako(project, "setup")
        err = setup.stderr.decode()
        assert setup.returncode == 0, err[-2000:]
        assert "(the host's apt sources, rootless with mmdebstrap): done in" in err
        assert f"{DEFAULT_IMAGE} is ready (built locally in" in err
        session = rootless.kanibako(
            project, "shell", "--no-helpers", "-c", "git --version && python3 --version"
        )
        assert session.returncode == 0, session.stderr.decode()
        assert session.stdout.decode().startswith("git version 2.")
        checks = _as_user(
            f"cd /tmp && podman run --rm {BOOTSTRAP_IMAGE} sh -c {shlex.quote(CHECKS)}"
        )
        assert checks.returncode == 0, checks.stderr.decode()
        uid, version, docs, man, rules, uri, usrmerge, sources = checks.stdout.decode().splitlines()
        assert uid == "0" and version.startswith("12.")
        assert (docs, man) == ("0", "0")  # trimmed like bookworm-slim
        assert int(rules) >= 4
        assert uri.startswith("URIs: http")
        assert (usrmerge, sources) == ("no-usrmerge", "no-sources-list")
    finally:
        _remove_images()
