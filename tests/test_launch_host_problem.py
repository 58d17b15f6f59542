"""A launch that fails on a host problem the doctor knows names it in one line and exits 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


def test_a_missing_init_binary_is_named_with_a_pointer_to_the_doctor(
    isolated_home: Path, busybox_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "containers.conf"
    shutil.copyfile("/etc/containers/containers.conf", conf)
    text = conf.read_text()
    # The same breakage a fresh host without catatonit has (NOTES-containers.md).
    conf.write_text(
        text.replace("[containers]", '[containers]\ninit_path = "/nonexistent/catatonit"', 1)
    )
    monkeypatch.setenv("CONTAINERS_CONF", str(conf))
    project = isolated_home / "proj"
    project.mkdir()
    done = kanibako("-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", "true")
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "host problem" in last
    assert "run kanibako doctor" in last
    assert "catatonit" in done.stderr  # the engine's own words were shown too
    assert "Traceback" not in done.stderr


def test_a_command_that_fails_inside_keeps_its_own_status(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", "exit 126"
    )
    assert done.returncode == 126
    assert "host problem" not in done.stderr
