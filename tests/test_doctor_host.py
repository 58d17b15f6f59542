"""``kanibako doctor`` against real host breakages, reproduced without touching the machine.

Each broken host is a private ``CONTAINERS_CONF`` (a copy of the machine's
file with one line changed), as NOTES-containers.md "Found since" describes:
a missing init binary (exit 125) and default ulimits above the hard limits
(runc's EPERM, exit 126). ``--fix --yes`` must then repair that private file
so a real container runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.rootless_fixtures import RootlessUser
from tests.state_cli import run

pytestmark = pytest.mark.integration

SYSTEM_CONF = Path("/etc/containers/containers.conf")


def _broken_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, drop: str) -> Path:
    text = SYSTEM_CONF.read_text() if SYSTEM_CONF.is_file() else "[containers]\n"
    kept = [x for x in text.splitlines() if not x.strip().startswith(drop)]
    if "[containers]" not in kept:
        kept.insert(0, "[containers]")
    at = kept.index("[containers]") + 1
    conf = tmp_path / "containers.conf"
    conf.write_text("\n".join([*kept[:at], line, *kept[at:]]) + "\n")
    monkeypatch.setenv("CONTAINERS_CONF", str(conf))
    return conf


def _doctor(*args: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = run("doctor", "--json", *args)
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["ok"] is (result.exit_code == 0)
    assert set(report) == {"ok", "checks"}
    for check in report["checks"]:
        assert set(check) == {"name", "status", "detail", "fix"}
        assert check["status"] in ("ok", "warn", "fail", "skip")
        assert check["status"] in ("ok", "skip") or check["fix"], check
    return result.exit_code, {c["name"]: c for c in report["checks"]}


def test_a_healthy_host_runs_a_real_container(isolated_home: Path) -> None:
    status, checks = _doctor()
    assert status == 0, checks
    assert checks["engine"]["status"] == "ok" and "podman" in checks["engine"]["detail"]
    assert checks["container runs"]["status"] == "ok"
    assert checks["init binary"]["status"] == "ok"
    assert checks["ulimits"]["status"] == "ok"


def test_missing_init_binary_fails_and_fix_repairs_the_users_conf(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = _broken_conf(tmp_path, monkeypatch, 'init_path = "/nonexistent/catatonit"', "init_path")
    status, checks = _doctor()
    assert status == 1
    assert checks["init binary"]["status"] == "fail"
    assert "/nonexistent/catatonit" in checks["init binary"]["detail"]
    assert checks["container runs"]["status"] == "fail"
    assert "init binary" in checks["container runs"]["detail"]
    if shutil.which("catatonit") is None:
        return  # no other init on the host: the fix is a package, not a line
    assert str(conf) in checks["init binary"]["fix"]
    status, checks = _doctor("--fix", "--yes")
    assert status == 0, checks
    assert checks["container runs"]["status"] == "ok"
    assert "/nonexistent" not in conf.read_text()


def test_ulimits_above_the_hard_limits_fail_and_fix_pins_them(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = _broken_conf(
        tmp_path, monkeypatch, 'default_ulimits = ["nofile=99999999:99999999"]', "default_ulimits"
    )
    status, checks = _doctor()
    assert status == 1
    assert checks["ulimits"]["status"] == "fail"
    assert "nofile 99999999" in checks["ulimits"]["detail"]
    assert "ulimits" in checks["container runs"]["detail"]
    status, checks = _doctor("--fix", "--yes")
    assert status == 0, checks
    assert checks["container runs"]["status"] == "ok"
    assert "99999999" not in conf.read_text()
    assert conf.read_text().count("default_ulimits") == 1


def test_no_engine_on_path_is_a_failed_check_not_a_traceback(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    status, checks = _doctor()
    assert status == 1
    assert checks["engine"]["status"] == "fail"
    assert "no container engine found" in checks["engine"]["detail"]
    assert checks["container runs"]["status"] == "skip"
    plain = run("doctor")
    assert plain.exit_code == 1 and "FAIL  engine" in plain.stdout


def test_an_unreadable_data_directory_is_a_failed_check(
    isolated_home: Path, tmp_path: Path
) -> None:
    data = tmp_path / "locked"
    data.mkdir(mode=0o000)
    (isolated_home / ".config" / "kanibako.toml").write_text(f'[paths]\ndata_path = "{data}"\n')
    try:
        done = subprocess.run(
            ["su", "nobody", "-s", "/bin/sh", "-c", "true"], capture_output=True, check=False
        )
        status, checks = _doctor()
        if done.returncode == 0 and status == 0:
            return  # root reads any directory; the rootless test covers a real user
        assert checks["data directory"]["status"] == "fail"
    finally:
        data.chmod(0o700)


def _private_podman(rootless: RootlessUser) -> tuple[RootlessUser, Path]:
    """The test user with a Podman storage of its own on vfs: private data and runtime dirs."""
    private = Path(tempfile.mkdtemp(prefix="private-podman-", dir=rootless.root))
    private.chmod(0o755)
    for sub in ("data", "run"):
        (private / sub).mkdir(parents=True, mode=0o700)
    conf = rootless.root / "config" / "containers" / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "vfs"\nrunroot = "{private}/run/storage"\n')
    subprocess.run(["chown", "-R", str(rootless.uid), str(private), str(conf)], check=True)
    env = {**rootless.env, "XDG_DATA_HOME": str(private / "data"),
           "XDG_RUNTIME_DIR": str(private / "run")}  # fmt: skip
    return RootlessUser(rootless.name, rootless.uid, rootless.root, rootless.launcher, env), conf


def _user_doctor(user: RootlessUser, *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    done = user.kanibako(user.root, "doctor", "--json", *args)
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    out = done.stdout.decode()
    try:
        report = json.loads(out[out.index("{") :])
    except ValueError:
        pytest.fail(f"no JSON: {done.stdout!r} {done.stderr!r}")
    return done.returncode, {c["name"]: c for c in report["checks"]}


def test_rootless_checks_vfs_detection_and_the_overlay_fix(rootless: RootlessUser) -> None:
    user, conf = _private_podman(rootless)
    locked = rootless.root / "unreadable-data"
    locked.mkdir(mode=0o000)
    subprocess.run(["chown", str(rootless.uid), str(locked)], check=True)
    kanibako_toml = rootless.root / "config" / "kanibako.toml"
    kept = kanibako_toml.read_text()
    kanibako_toml.write_text(f'[paths]\ndata_path = "{locked / "data"}"\n')
    status, checks = _user_doctor(user)
    kanibako_toml.write_text(kept)
    assert "rootless" in checks["engine"]["detail"]
    for name in ("subuid/subgid", "newuidmap", "rootless network", "container runs"):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["storage driver"]["status"] == "warn"
    assert "vfs" in checks["storage driver"]["detail"]
    assert str(conf) in checks["storage driver"]["fix"]
    assert checks["data directory"]["status"] == "fail"
    assert status == 1
    status, checks = _user_doctor(user, "--fix", "--yes")
    assert checks["storage driver"]["status"] == "ok", checks["storage driver"]
    assert checks["storage driver"]["detail"] == "overlay"
    assert 'driver = "overlay"' in conf.read_text()
    assert f'runroot = "{rootless.root}' in conf.read_text()  # the rest of the file is kept
    conf.unlink()


def test_setup_on_vfs_offers_overlay_before_building_anything(rootless: RootlessUser) -> None:
    user, conf = _private_podman(rootless)
    done = user.kanibako(user.root, "-i", "localhost/kanibako-doctor-no-such:1", "setup")
    out = done.stdout.decode()
    assert "the engine stores images on vfs" in out, done.stderr.decode()
    assert f"to fix it: {conf}: [storage] driver = " in out
    assert "is available" not in out  # nothing was built on vfs before the offer
    assert b"Traceback" not in done.stderr
    conf.unlink()


def test_a_docker_daemon_that_is_down_is_a_failed_check(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("docker") is None:
        pytest.fail(
            "the Docker client is needed (scripts/host-setup.sh with KANIBAKO_WITH_DOCKER=1)"
        )
    monkeypatch.setenv("KANIBAKO_ENGINE", "docker")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    status, checks = _doctor()
    assert status == 1
    assert checks["engine"]["status"] == "fail"
    assert "daemon is not reachable" in checks["engine"]["detail"]
    assert checks["container runs"]["status"] == "skip"
