"""ContainerSpec -> argv for Podman and Docker: exact lists, engine-specific flags only where they apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_runtime import (
    ContainerSpec,
    Engine,
    InvalidSpecError,
    Mount,
    TmpfsMount,
    env_file_text,
    process_env,
    to_argv,
)

PODMAN_ROOT = Engine("podman", "/usr/bin/podman", rootless=False)
PODMAN_ROOTLESS = Engine("podman", "/usr/bin/podman", rootless=True)
PODMAN_REMOTE = Engine("podman", "/usr/bin/podman", remote=True)
DOCKER = Engine("docker", "/usr/bin/docker")
DOCKER_ROOTLESS = Engine("docker", "/usr/bin/docker", rootless=True)


def test_minimal_spec_is_run_rm_image_for_podman_as_root() -> None:
    argv = to_argv(PODMAN_ROOT, ContainerSpec(image="img"))
    assert argv == ["/usr/bin/podman", "run", "--rm", "--security-opt", "label=disable", "img"]


def test_minimal_spec_for_docker_has_no_podman_flags() -> None:
    assert to_argv(DOCKER, ContainerSpec(image="img")) == ["/usr/bin/docker", "run", "--rm", "img"]


def test_full_spec_orders_flags_before_the_image_and_command_after() -> None:
    spec = ContainerSpec(
        image="img:1",
        name="kanibako-abc",
        hostname="box",
        mounts=(Mount(Path("/w"), "/home/agent/workspace"), Mount(Path("/r"), "/ro", True)),
        tmpfs=(TmpfsMount("/home/agent/workspace/vault", size="1m"),),
        workdir="/home/agent/workspace",
        entrypoint="/bin/sh",
        command=("-c", "echo hi"),
        labels={"kanibako.project": "/w"},
        interactive=True,
        network="host",
        init=True,
    )
    argv = to_argv(DOCKER, spec)
    assert argv == [
        "/usr/bin/docker", "run", "--rm", "--interactive",
        "--name", "kanibako-abc", "--hostname", "box",
        "--label", "kanibako.project=/w",
        "--network", "host", "--init",
        "--workdir", "/home/agent/workspace",
        "--entrypoint", "/bin/sh",
        "--mount", "type=bind,source=/w,destination=/home/agent/workspace",
        "--mount", "type=bind,source=/r,destination=/ro,readonly=true",
        "--tmpfs", "/home/agent/workspace/vault:ro,size=1m",
        "img:1", "-c", "echo hi",
    ]  # fmt: skip


def test_keep_id_only_for_rootless_podman() -> None:
    spec = ContainerSpec(image="img")
    assert "--userns=keep-id" in to_argv(PODMAN_ROOTLESS, spec)
    assert "--userns=keep-id" not in to_argv(PODMAN_ROOT, spec)
    assert "--userns=keep-id" not in to_argv(PODMAN_REMOTE, spec)
    assert "--userns=keep-id" not in to_argv(DOCKER, spec, host_ids=(1000, 1000))
    assert "--userns=keep-id" not in to_argv(PODMAN_ROOTLESS, ContainerSpec("img", keep_id=False))


def test_a_rootful_engine_runs_the_container_as_the_invoking_user() -> None:
    spec = ContainerSpec(image="img")
    for engine in (DOCKER, PODMAN_ROOT):
        argv = to_argv(engine, spec, host_ids=(1000, 1001))
        assert argv[argv.index("--user") + 1] == "1000:1001"
        # Root too: an image's own USER could not write the root-made home.
        argv = to_argv(engine, spec, host_ids=(0, 0))
        assert argv[argv.index("--user") + 1] == "0:0"
    assert "--user" not in to_argv(
        PODMAN_ROOT, ContainerSpec("img", keep_id=False), host_ids=(0, 0)
    )


def test_rootless_engines_run_as_the_user_they_map_to_the_host_user() -> None:
    spec = ContainerSpec(image="img")
    argv = to_argv(PODMAN_ROOTLESS, spec, host_ids=(1002, 1003))
    assert argv[argv.index("--userns=keep-id") + 1 : argv.index("--userns=keep-id") + 3] == [
        "--user",
        "1002:1003",
    ]
    argv = to_argv(DOCKER_ROOTLESS, spec, host_ids=(1002, 1003))
    assert argv[argv.index("--user") + 1] == "0:0"
    assert "--userns=keep-id" not in argv
    assert "--user" not in to_argv(PODMAN_REMOTE, spec, host_ids=(1000, 1000))


def test_explicit_user_wins_over_keep_id() -> None:
    argv = to_argv(PODMAN_ROOTLESS, ContainerSpec(image="img", user="0:0"))
    assert "--userns=keep-id" not in argv
    assert argv[argv.index("--user") + 1] == "0:0"


def test_remote_podman_adds_the_remote_flag() -> None:
    assert to_argv(PODMAN_REMOTE, ContainerSpec(image="img"))[:3] == [
        "/usr/bin/podman", "--remote", "run",
    ]  # fmt: skip


def test_tty_only_when_stdin_is_a_terminal() -> None:
    spec = ContainerSpec(image="img", interactive=True, tty=True)
    assert "--tty" in to_argv(PODMAN_ROOT, spec, terminal=True)
    assert "--tty" not in to_argv(PODMAN_ROOT, spec, terminal=False)
    assert "--tty" not in to_argv(PODMAN_ROOT, ContainerSpec(image="img"), terminal=True)


@pytest.mark.parametrize("engine", [PODMAN_ROOT, DOCKER], ids=["podman", "docker"])
def test_env_values_never_reach_the_command_line(engine: Engine) -> None:
    spec = ContainerSpec(image="img", env={"TOKEN": "s3cret", "MULTI": "a\nb"})
    argv = to_argv(engine, spec, env_file=Path("/run/env"))
    assert not any("s3cret" in a or "a\nb" in a for a in argv)
    assert argv[argv.index("--env-file") + 1] == "/run/env"
    # A line break cannot live in an env file: that value goes by name only.
    assert argv[argv.index("--env") + 1] == "MULTI"
    assert env_file_text(spec.env) == "TOKEN=s3cret\n"
    assert process_env(spec.env, env_file=True) == {"MULTI": "a\nb"}


def test_without_an_env_file_every_value_goes_by_name() -> None:
    spec = ContainerSpec(image="img", env={"A": "1", "B": "2"})
    argv = to_argv(PODMAN_ROOT, spec)
    assert "--env-file" not in argv
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--env"] == ["A", "B"]
    assert process_env(spec.env, env_file=False) == {"A": "1", "B": "2"}


def test_no_env_file_flag_when_no_value_needs_it() -> None:
    assert "--env-file" not in to_argv(PODMAN_ROOT, ContainerSpec("img"), env_file=Path("/e"))


def test_bad_env_name_is_refused() -> None:
    with pytest.raises(InvalidSpecError, match="BAD NAME"):
        to_argv(PODMAN_ROOT, ContainerSpec("img", env={"BAD NAME": "x"}))


def test_mount_paths_with_commas_are_csv_quoted() -> None:
    spec = ContainerSpec("img", mounts=(Mount(Path("/a,b"), "/c"),))
    argv = to_argv(PODMAN_ROOT, spec)
    assert argv[argv.index("--mount") + 1] == 'type=bind,"source=/a,b",destination=/c'


def test_relative_mount_target_is_refused() -> None:
    with pytest.raises(InvalidSpecError, match="absolute"):
        to_argv(PODMAN_ROOT, ContainerSpec("img", mounts=(Mount(Path("/a"), "rel"),)))


def test_writable_tmpfs() -> None:
    argv = to_argv(DOCKER, ContainerSpec("img", tmpfs=(TmpfsMount("/t", read_only=False),)))
    assert argv[argv.index("--tmpfs") + 1] == "/t:rw"


def test_detach_and_keep() -> None:
    argv = to_argv(PODMAN_ROOT, ContainerSpec("img", detach=True, remove=False))
    assert "--detach" in argv and "--rm" not in argv


def test_spec_is_frozen_including_its_mappings() -> None:
    env = {"A": "1"}
    spec = ContainerSpec("img", env=env)
    env["A"] = "2"
    assert spec.env["A"] == "1"
    with pytest.raises(TypeError):
        spec.env["A"] = "3"  # type: ignore[index]
    with pytest.raises(AttributeError):
        spec.image = "other"  # type: ignore[misc]


def test_podman_tmpfs_does_not_copy_up_the_hidden_files() -> None:
    spec = ContainerSpec("img", tmpfs=(TmpfsMount("/w/vault"),))
    assert to_argv(PODMAN_ROOT, spec)[-2] == "/w/vault:ro,notmpcopyup"
    assert to_argv(DOCKER, spec)[-2] == "/w/vault:ro"


@pytest.mark.parametrize("engine", [PODMAN_ROOT, DOCKER], ids=["podman", "docker"])
def test_pull_policy(engine: Engine) -> None:
    assert "--pull=never" in to_argv(engine, ContainerSpec("img", pull="never"))
    assert not any(a.startswith("--pull") for a in to_argv(engine, ContainerSpec("img")))


def test_a_value_longer_than_an_env_file_line_goes_by_name() -> None:
    spec = ContainerSpec("img", env={"SMALL": "1", "HUGE": "x" * 70_000})
    argv = to_argv(PODMAN_ROOT, spec, env_file=Path("/dev/fd/5"))
    assert argv[argv.index("--env") + 1] == "HUGE"
    assert env_file_text(spec.env) == "SMALL=1\n"


def test_least_privilege_and_limits_come_before_the_image_on_both_engines() -> None:
    spec = ContainerSpec(
        image="img",
        no_new_privileges=True,
        cap_drop=("ALL",),
        cap_add=("CHOWN",),
        memory="4g",
        cpus="1.5",
        pids_limit=512,
    )
    wanted = [
        "--security-opt",
        "no-new-privileges",
        "--cap-drop",
        "ALL",
        "--cap-add",
        "CHOWN",
        "--memory",
        "4g",
        "--cpus",
        "1.5",
        "--pids-limit",
        "512",
    ]
    assert to_argv(DOCKER, spec) == ["/usr/bin/docker", "run", "--rm", *wanted, "img"]
    podman = to_argv(PODMAN_ROOT, spec)
    assert podman[-len(wanted) - 1 :] == [*wanted, "img"]


@pytest.mark.parametrize(
    "bad",
    [
        {"cap_add": ("chown; rm",)},
        {"cap_drop": ("",)},
        {"memory": "lots"},
        {"memory": "0"},
        {"cpus": "0"},
        {"cpus": "-1"},
        {"pids_limit": 0},
    ],
)
def test_a_malformed_privilege_or_limit_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidSpecError):
        to_argv(PODMAN_ROOT, ContainerSpec(image="img", **bad))  # type: ignore[arg-type]


def test_an_overlay_is_podman_O_volume_and_a_docker_local_overlay_volume() -> None:
    from kanibako_runtime import OverlayMount

    overlay = OverlayMount(Path("/s/pip"), "/home/agent/.cache/pip", Path("/p/up"), Path("/p/wk"))
    spec = ContainerSpec(image="img", overlays=(overlay,))
    assert to_argv(PODMAN_ROOT, spec)[-3:] == [
        "--volume",
        "/s/pip:/home/agent/.cache/pip:O,upperdir=/p/up,workdir=/p/wk",
        "img",
    ]
    assert to_argv(DOCKER, spec)[-3:] == [
        "--mount",
        "type=volume,destination=/home/agent/.cache/pip,volume-driver=local,"
        "volume-opt=type=overlay,volume-opt=device=overlay,"
        '"volume-opt=o=lowerdir=/s/pip,upperdir=/p/up,workdir=/p/wk"',
        "img",
    ]


@pytest.mark.parametrize("lower", ["/s/a:b", "/s/a,b", "relative"])
def test_an_overlay_path_the_engines_cannot_quote_is_refused(lower: str) -> None:
    from kanibako_runtime import OverlayMount

    target = "/t" if lower != "relative" else "t"
    overlay = OverlayMount(Path(lower), target, Path("/u"), Path("/w"))
    with pytest.raises(InvalidSpecError):
        to_argv(PODMAN_ROOT, ContainerSpec(image="img", overlays=(overlay,)))
