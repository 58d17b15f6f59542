"""Rootless bootstrap: the CI's ordinary user makes the Debian image with mmdebstrap.

Runs the setup route's own bootstrap step (mirror from the host's apt sources,
no cache) as the rootless user against their rootless Podman, then checks the
imported image is trimmed like the rootful route's and works.
"""

from __future__ import annotations

import shlex
import site
from pathlib import Path

import pytest

from kanibako.image_bootstrap import BOOTSTRAP_IMAGE
from tests.rootless_fixtures import RootlessUser, _as_user, _python_for_user

pytestmark = pytest.mark.integration

SCRIPT = """
import site, sys
for d in {sites!r}: site.addsitedir(d)
from kanibako.image_bootstrap import find_bootstrapper
from kanibako.image_supply import bootstrap_debian
from kanibako.step_progress import StepProgress
from kanibako_runtime import detect_engine

assert find_bootstrapper().kind == "mmdebstrap", find_bootstrapper()
print(bootstrap_debian(detect_engine("podman"), StepProgress()))
"""
CHECKS = (
    "id -u; cat /etc/debian_version; "
    "find /usr/share/doc -type f ! -name copyright | wc -l; ls /usr/share/man | wc -l; "
    "cat /etc/dpkg/dpkg.cfg.d/kanibako-slim | grep -c path-exclude; "
    "grep -h '^URIs' /etc/apt/sources.list.d/debian.sources | head -1; "
    "dpkg -s usrmerge >/dev/null 2>&1 && echo usrmerge || echo no-usrmerge; "
    "test -e /etc/apt/sources.list || echo no-sources-list"
)


def _user(rootless: RootlessUser, command: str) -> str:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in rootless.env.items())
    done = _as_user(f"cd {shlex.quote(str(rootless.root))} && env {env} {command}")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.decode()


def test_a_rootless_user_bootstraps_a_trimmed_debian(rootless: RootlessUser) -> None:
    _as_user(f"cd /tmp && podman rmi {BOOTSTRAP_IMAGE}")  # a leftover would be reused
    script = rootless.root / "bootstrap.py"
    sites = [d for d in site.getsitepackages() if Path(d).is_dir()]
    script.write_text(SCRIPT.format(sites=sites))
    script.chmod(0o644)
    try:
        made = _user(rootless, f"{_python_for_user()} {script}")
        assert made == f"{BOOTSTRAP_IMAGE}\n"
        shown = _user(rootless, f"podman run --rm {BOOTSTRAP_IMAGE} sh -c {shlex.quote(CHECKS)}")
        uid, version, docs, man, rules, uri, usrmerge, sources = shown.splitlines()
        assert uid == "0" and version.startswith("12.")
        assert (docs, man) == ("0", "0")  # trimmed like bookworm-slim
        assert int(rules) >= 4
        assert uri.startswith("URIs: http")
        assert (usrmerge, sources) == ("no-usrmerge", "no-sources-list")
    finally:
        _as_user(f"cd /tmp && podman rmi {BOOTSTRAP_IMAGE}")
