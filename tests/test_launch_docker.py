"""The launch pipeline on Docker: Docker is a supported engine, so it is tested for real.

The tests start their own Docker daemon (private data and exec roots, a
socket under a temp dir, no iptables or bridge: see NOTES-containers.md) and
load the busybox test image into it from Podman. They need Debian's
``docker.io`` installed (``KANIBAKO_WITH_DOCKER=1 scripts/host-setup.sh``; CI
does this) and fail, never skip, without it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, Engine, list_containers
from tests import session_rules_checks
from tests.detached_checks import kill_supervisor
from tests.docker_fixtures import docker_client
from tests.launch_helpers import (
    ensure_user_image,
    finish,
    kanibako,
    reap,
    start_session,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def project(docker_project: Path) -> Path:
    (docker_project / "vault" / "share-ro").mkdir(parents=True)
    (docker_project / "vault" / "share-ro" / "ref.txt").write_text("ref\n")
    return docker_project


def _running(project: Path) -> bool:
    engine = Engine("docker", docker_client(), remote=True)
    found = list_containers(engine, {"io.kanibako.workspace": str(project)})
    return bool(found)


def _shell(project: Path, image: str, script: str) -> subprocess.CompletedProcess[str]:
    return kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", image, "-c", f"sh -c '{script}'"
    )


def test_docker_session_layout_ro_vault_and_exit_status(project: Path, busybox_image: str) -> None:
    script = (
        'echo "$HOME $(pwd)"; cat $HOME/share-ro/ref.txt; ls -A vault | wc -l; '
        "touch $HOME/share-ro/x 2>/dev/null && echo ro-writable; "
        "echo kept > $HOME/note; echo made > made.txt; exit 6"
    )
    done = _shell(project, busybox_image, script)
    assert done.returncode == 6, done.stderr
    assert done.stdout.splitlines() == ["/home/agent /home/agent/workspace", "ref", "0"]
    assert (project / "made.txt").read_text() == "made\n"
    again = _shell(project, busybox_image, "cat $HOME/note")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "kept\n"


def test_docker_second_session_refused_and_stop_ends_the_first(
    project: Path, busybox_image: str
) -> None:
    first = start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", "sleep 60"
    )
    try:
        wait_for(lambda: _running(project), what="the Docker session")
        second = kanibako("-p", str(project), "shell", "--no-helpers", "-c", "true")
        assert second.returncode == 1 and "already running" in second.stderr
        stopped = kanibako("stop", str(project))
        assert stopped.returncode == 0 and "stopped kanibako-proj-" in stopped.stdout
        status, _, err = finish(first)
        assert status != 0 and "Traceback" not in err
        assert not _running(project)
    finally:
        first.kill()


def test_docker_sigterm_cleans_up(project: Path, busybox_image: str) -> None:
    session = start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", "sleep 60"
    )
    try:
        wait_for(lambda: _running(project), what="the Docker session")
        session.send_signal(signal.SIGTERM)
        status, _, err = finish(session, timeout=30)
    finally:
        session.kill()
    assert status == 128 + signal.SIGTERM, err
    assert not _running(project)


def test_docker_supervisor_killed_outright_takes_its_container_with_it(
    project: Path, busybox_image: str
) -> None:
    killed = start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", "sleep 60"
    )
    wait_for(lambda: _running(project), what="the Docker session")
    # SIGKILL of the session's supervisor: none of its cleanup runs (a killed CLI
    # only detaches).
    kill_supervisor(resolve_project(load_paths(), project).metadata_dir / LOCK_FILE_NAME)
    reap(killed)
    wait_for(lambda: not _running(project), what="the orphaned container to end")
    done = _shell(project, busybox_image, "echo again")
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("again\n")


def test_docker_runs_an_image_with_its_own_user_as_the_invoking_user(
    project: Path, engine: str, busybox_image: str, docker_host: str
) -> None:
    image = ensure_user_image(engine, busybox_image)
    env = {**os.environ, "DOCKER_HOST": docker_host}
    saved = subprocess.Popen([engine, "save", image], stdout=subprocess.PIPE)
    subprocess.run(
        [docker_client(), "load"], stdin=saved.stdout, env=env, check=True, capture_output=True
    )
    assert saved.stdout is not None
    saved.stdout.close()
    assert saved.wait() == 0
    done = _shell(project, image, "id -u; touch ~/x && echo home-ok; echo w > w.txt && echo ws-ok")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(os.getuid()), "home-ok", "ws-ok"]
    assert (project / "w.txt").stat().st_uid == os.getuid()


def test_docker_control_files_shared_layer_and_setuid_sweep(
    project: Path, busybox_image: str, isolated_home: Path
) -> None:
    inode = session_rules_checks.prepare(project)
    assert kanibako("shared", "init", "pip").returncode == 0
    shared = next(isolated_home.glob(".local/share/kanibako/shared/global/pip"))
    session_rules_checks.seed(shared)
    done = _shell(project, busybox_image, "sh attack.sh")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == session_rules_checks.EXPECTED_OUTPUT
    session_rules_checks.check_host(project, inode, shared, done.stderr)
    again = _shell(project, busybox_image, session_rules_checks.READ_BACK)
    assert again.stdout.splitlines() == session_rules_checks.READ_BACK_OUTPUT, again.stderr


def test_docker_warm_relaunch_is_fresh_and_stop_all_ends_the_standby(
    project: Path, busybox_image: str
) -> None:
    # busybox has no python3 for the egress forwarder: this test is about the container.
    assert kanibako("-p", str(project), "config", "network", "none").returncode == 0
    launch = ("-v", "-p", str(project), "shell", "--no-helpers", "-i", busybox_image)
    first = kanibako(*launch, "--keep-warm", "120", "-c", "sh -c 'echo x > /tmp/mark'")
    assert first.returncode == 0, first.stderr
    state = resolve_project(load_paths(), project).metadata_dir / "standby.json"
    wait_for(state.exists, what="the standby")
    second = kanibako(*launch, "--keep-warm", "120", "-c", "sh -c 'cat /tmp/mark || echo fresh'")
    assert second.returncode == 0, second.stderr
    assert "warm standby:" in second.stderr and second.stdout.strip() == "fresh"
    wait_for(state.exists, what="the next standby")
    assert "-warm-" in kanibako("stop", "--all").stdout
    wait_for(lambda: not _running(project), what="stop --all to end the standby")
