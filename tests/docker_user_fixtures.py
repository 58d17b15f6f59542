"""A non-root user of the Docker group, as a fixture (``docker_user``), registered in conftest.

The user is $KANIBAKO_TEST_DOCKER_USER (default kanibako-dock), a member of
$KANIBAKO_TEST_DOCKER_GROUP (default kanibako-docker), both made by
.ci/setup-machine.sh. The fixture starts a private dockerd whose socket
belongs to that group (as the system daemon's belongs to ``docker``), loads
the busybox and python test images into it, and gives the user a private tree
(tests/rootless_fixtures.py's ``user_sandbox``) with Docker chosen for them.
"""

from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Iterator

import pytest

from tests.docker_fixtures import private_dockerd
from tests.rootless_fixtures import RootlessUser, user_sandbox

USER = os.environ.get("KANIBAKO_TEST_DOCKER_USER", "kanibako-dock")
GROUP = os.environ.get("KANIBAKO_TEST_DOCKER_GROUP", "kanibako-docker")


@pytest.fixture(scope="module")
def docker_user(engine: str, busybox_image: str, python_image: str) -> Iterator[RootlessUser]:
    """The Docker-group test user, with DOCKER_HOST naming a daemon their group may use."""
    try:
        members = grp.getgrnam(GROUP).gr_mem
    except KeyError:
        pytest.fail(f"Docker-group tests need group {GROUP!r} (run .ci/setup-machine.sh as root)")
    if USER not in members and not _primary_group_is(USER, GROUP):
        pytest.fail(f"user {USER!r} is not in group {GROUP!r} (run .ci/setup-machine.sh as root)")
    with private_dockerd(engine, [busybox_image, python_image], group=GROUP) as host:
        env = {"DOCKER_HOST": host, "KANIBAKO_ENGINE": "docker"}
        with user_sandbox(USER, "Docker-group tests", env) as user:
            yield user


def _primary_group_is(user: str, group: str) -> bool:
    try:
        return pwd.getpwnam(user).pw_gid == grp.getgrnam(group).gr_gid
    except KeyError:
        return False
