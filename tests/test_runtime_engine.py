"""kanibako_runtime against the real engine: run, mounts, env, detach/list/stop, images."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from kanibako_runtime import (
    ContainerSpec,
    Engine,
    EngineCommandError,
    Mount,
    TmpfsMount,
    build_image,
    detect_engine,
    foreground,
    image_exists,
    inspect,
    list_containers,
    list_images,
    remove,
    run,
    run_detached,
    stop,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def eng(engine: str) -> Engine:
    return detect_engine(engine)


def _sh(image: str, script: str, **kw: object) -> ContainerSpec:
    return ContainerSpec(image=image, entrypoint="/bin/sh", command=("-c", script), **kw)  # type: ignore[arg-type]


def _output(eng: Engine, spec: ContainerSpec, capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capfd.readouterr()
    status = run(eng, spec)
    return status, capfd.readouterr().out


def test_exit_status_of_the_container_is_returned(eng: Engine, busybox_image: str) -> None:
    assert run(eng, _sh(busybox_image, "exit 7")) == 7
    assert run(eng, _sh(busybox_image, "true")) == 0


def test_env_values_reach_the_container_but_not_the_process_list(
    eng: Engine, busybox_image: str, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    spec = _sh(
        busybox_image,
        'printf "%s|%s|" "$TOKEN" "$MULTI"; ps -o args 2>/dev/null >/dev/null; exit 0',
        env={"TOKEN": secret, "MULTI": "line1\nline2", "SPACED": " a b "},
    )
    status, out = _output(eng, spec, capfd)
    assert status == 0
    assert out == f"{secret}|line1\nline2|"


def test_read_only_mount_is_really_read_only_and_rw_is_writable(
    eng: Engine, busybox_image: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    ro.mkdir()
    rw.mkdir()
    (ro / "given").write_text("x")
    spec = _sh(
        busybox_image,
        "touch /ro/new 2>/dev/null && echo ro-writable; echo y > /rw/made && echo rw-ok",
        mounts=(Mount(ro, "/ro", read_only=True), Mount(rw, "/rw")),
    )
    status, out = _output(eng, spec, capfd)
    assert status == 0
    assert out.strip() == "rw-ok"
    assert not (ro / "new").exists()
    assert (rw / "made").read_text() == "y\n"


def test_read_only_tmpfs_hides_a_directory_inside_a_bind_mount(
    eng: Engine, busybox_image: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    (work / "vault").mkdir(parents=True)
    (work / "vault" / "secret").write_text("hidden")
    spec = _sh(
        busybox_image,
        "ls -A /w/vault; touch /w/vault/x 2>/dev/null && echo writable; echo done",
        mounts=(Mount(work, "/w"),),
        tmpfs=(TmpfsMount("/w/vault"),),
    )
    status, out = _output(eng, spec, capfd)
    assert status == 0
    assert out.strip() == "done"
    assert sorted(p.name for p in (work / "vault").iterdir()) == ["secret"]


def test_detached_container_is_listed_by_label_inspected_and_stopped(
    eng: Engine, busybox_image: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    name = f"kanibako-rt-{tag}"
    spec = _sh(busybox_image, "sleep 60", name=name, labels={"io.kanibako.test": tag}, init=True)
    container_id = run_detached(eng, spec)
    try:
        assert container_id
        found = list_containers(eng, {"io.kanibako.test": tag})
        assert [c.name for c in found] == [name]
        assert found[0].labels["io.kanibako.test"] == tag
        assert list_containers(eng, {"io.kanibako.test": "other"}) == []
        record = inspect(eng, name)
        assert record is not None and record["State"]["Running"] is True
        assert stop(eng, name) is True
    finally:
        remove(eng, name)
    assert inspect(eng, name) is None
    assert list_containers(eng, {"io.kanibako.test": tag}, include_stopped=True) == []
    assert stop(eng, name) is False


def test_images_exist_and_are_listed(eng: Engine, busybox_image: str) -> None:
    assert image_exists(eng, busybox_image)
    assert not image_exists(eng, "localhost/kanibako-no-such-image:never")
    assert any(busybox_image in image.names for image in list_images(eng))


def test_starting_a_missing_image_fails_with_the_engine_reason(eng: Engine) -> None:
    spec = ContainerSpec(image="localhost/kanibako-no-such-image:never", detach=True, pull="never")
    with pytest.raises(EngineCommandError, match="kanibako-no-such-image"):
        run_detached(eng, spec)


def test_env_values_go_through_a_pipe_and_never_touch_the_disk(
    eng: Engine, busybox_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))
    seen: list[list[str]] = []
    spec = _sh(busybox_image, 'test "$A" = 1', env={"A": "1"})
    with foreground(eng, spec, announce=seen.append) as container:
        assert container.wait() == 0
    (argv,) = seen
    assert argv[argv.index("--env-file") + 1].startswith("/dev/fd/")
    assert list(runtime_dir.iterdir()) == []


def test_a_huge_env_goes_through_a_private_file_that_is_removed(
    eng: Engine, busybox_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))
    env = {f"V{i}": "x" * 3000 for i in range(30)}  # 90 KB: more than a pipe holds
    env["HUGE"] = "y" * 70_000  # longer than an env-file line may be: passed by name
    seen: list[list[str]] = []
    script = 'test "${#V29}" = 3000 && test "${#HUGE}" = 70000'
    with foreground(eng, _sh(busybox_image, script, env=env), announce=seen.append) as container:
        path = Path(seen[0][seen[0].index("--env-file") + 1])
        assert path.parent == runtime_dir and (path.stat().st_mode & 0o777) == 0o600
        assert container.wait() == 0
    assert seen[0][seen[0].index("--env") + 1] == "HUGE"
    assert list(runtime_dir.iterdir()) == []


def test_engine_binary_is_really_the_configured_one(eng: Engine, engine: str) -> None:
    assert eng.binary == engine
    assert eng.rootless is (os.geteuid() != 0 and eng.kind == "podman")
    done = subprocess.run(
        [*eng.base_argv(), "--version"], capture_output=True, text=True, check=True
    )
    assert eng.kind in done.stdout.lower()


def test_leaving_the_block_early_stops_even_an_unnamed_container(
    eng: Engine, busybox_image: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    spec = _sh(busybox_image, "sleep 60", labels={"io.kanibako.test": tag}, init=True)
    with pytest.raises(KeyboardInterrupt), foreground(eng, spec):
        wait_until = time.monotonic() + 20
        while not list_containers(eng, {"io.kanibako.test": tag}):
            assert time.monotonic() < wait_until
            time.sleep(0.1)
        raise KeyboardInterrupt
    assert list_containers(eng, {"io.kanibako.test": tag}, include_stopped=True) == []


def test_build_image_tags_a_new_image(eng: Engine, busybox_image: str, tmp_path: Path) -> None:
    tag = f"localhost/kanibako-test-built:{uuid.uuid4().hex[:8]}"
    (tmp_path / "Containerfile").write_text(f"FROM {busybox_image}\nLABEL io.kanibako.test=built\n")
    build_image(eng, tag, tmp_path)
    try:
        assert image_exists(eng, tag)
        assert any(tag in image.names for image in list_images(eng))
    finally:
        subprocess.run([eng.binary, "rmi", tag], check=True, capture_output=True)
    assert not image_exists(eng, tag)


def test_a_failed_build_names_the_engine_reason(eng: Engine, tmp_path: Path) -> None:
    (tmp_path / "Containerfile").write_text("NOT-AN-INSTRUCTION here\n")
    with pytest.raises(EngineCommandError, match="building localhost/kanibako-test-x:1 failed"):
        build_image(
            eng, "localhost/kanibako-test-x:1", tmp_path, containerfile=tmp_path / "Containerfile"
        )
