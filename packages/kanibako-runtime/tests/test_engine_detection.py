"""Engine detection from PATH, config and environment, without running any engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_runtime import EngineNotFoundError, detect_engine


def _bin(tmp_path: Path, *names: str) -> str:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    for name in names:
        exe = bindir / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return str(bindir)


def test_podman_is_preferred_over_docker(tmp_path: Path) -> None:
    path = _bin(tmp_path, "podman", "docker")
    engine = detect_engine(env={"PATH": path}, euid=1000)
    assert engine.kind == "podman"
    assert engine.binary == f"{path}/podman"
    assert engine.rootless and not engine.remote


def test_docker_is_the_fallback(tmp_path: Path) -> None:
    engine = detect_engine(env={"PATH": _bin(tmp_path, "docker")}, euid=1000)
    assert engine.kind == "docker"
    assert not engine.rootless


def test_root_podman_is_not_rootless(tmp_path: Path) -> None:
    assert not detect_engine(env={"PATH": _bin(tmp_path, "podman")}, euid=0).rootless


def test_config_choice_selects_docker_even_when_podman_exists(tmp_path: Path) -> None:
    path = _bin(tmp_path, "podman", "docker")
    assert detect_engine("docker", env={"PATH": path}, euid=0).kind == "docker"


def test_environment_overrides_config(tmp_path: Path) -> None:
    path = _bin(tmp_path, "podman", "docker")
    env = {"PATH": path, "KANIBAKO_ENGINE": "podman"}
    assert detect_engine("docker", env=env, euid=0).kind == "podman"


def test_choice_may_be_a_path_to_the_binary(tmp_path: Path) -> None:
    path = _bin(tmp_path, "podman")
    engine = detect_engine(f"{path}/podman", env={"PATH": ""}, euid=0)
    assert engine.binary == f"{path}/podman"


def test_container_host_makes_podman_remote_and_not_rootless(tmp_path: Path) -> None:
    env = {"PATH": _bin(tmp_path, "podman"), "CONTAINER_HOST": "ssh://u@h/run/podman.sock"}
    engine = detect_engine(env=env, euid=1000)
    assert engine.remote and not engine.rootless
    assert engine.base_argv() == [engine.binary, "--remote"]


def test_docker_host_makes_docker_remote_without_extra_flags(tmp_path: Path) -> None:
    env = {"PATH": _bin(tmp_path, "docker"), "DOCKER_HOST": "tcp://h:2375"}
    engine = detect_engine(env=env, euid=1000)
    assert engine.remote
    assert engine.base_argv() == [engine.binary]


def test_no_engine_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineNotFoundError, match="install Podman") as info:
        detect_engine(env={"PATH": _bin(tmp_path)}, euid=1000)
    assert info.value.exit_code == 2


def test_unknown_engine_name_is_refused(tmp_path: Path) -> None:
    env = {"PATH": _bin(tmp_path, "podman"), "KANIBAKO_ENGINE": "lxc"}
    with pytest.raises(EngineNotFoundError, match=r"'lxc' \(\$KANIBAKO_ENGINE\)"):
        detect_engine(env=env, euid=0)


def test_chosen_engine_missing_from_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EngineNotFoundError, match="'docker' \\(config 'engine'\\) is not on PATH"):
        detect_engine("docker", env={"PATH": _bin(tmp_path, "podman")}, euid=0)


def test_docker_is_rootless_when_its_socket_belongs_to_the_invoking_user(tmp_path: Path) -> None:
    import os
    import socket

    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        if os.geteuid() == 0:
            os.chown(path, 4242, -1)  # as an ordinary user's daemon would own it
        owner = path.stat().st_uid
        env = {"PATH": _bin(tmp_path, "docker"), "DOCKER_HOST": f"unix://{path}"}
        assert detect_engine(env=env, euid=owner).rootless
        # Another user's socket (a rootful daemon's is root's) is not rootless.
        assert not detect_engine(env=env, euid=owner + 1).rootless
        assert not detect_engine(env=env, euid=0).rootless
    missing = {"PATH": _bin(tmp_path, "docker"), "DOCKER_HOST": f"unix://{tmp_path}/none"}
    assert not detect_engine(env=missing, euid=1000).rootless
