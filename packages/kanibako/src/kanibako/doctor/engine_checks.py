"""The engine itself: found, answering, able to run a container the way a launch does."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from kanibako.doctor.facts import HostFacts, engine_command, last_error_line
from kanibako.doctor.known_failures import known_problem
from kanibako.doctor.model import Check, ConfEdit, ok, skip, toml_string

INSTALL_ENGINE = "scripts/host-setup.sh (or: sudo apt-get install podman runc uidmap catatonit)"
# Where Podman looks for catatonit when containers.conf names no init_path
# (its helper_binaries_dir default), and other init binaries it can use.
_PODMAN_HELPER_DIRS = ("/usr/local/libexec/podman", "/usr/local/lib/podman", "/usr/libexec/podman",
                       "/usr/lib/podman")  # fmt: skip
_OTHER_INITS = ("/usr/bin/catatonit", "/usr/bin/tini", "/usr/bin/tini-static",
                "/usr/sbin/docker-init", "/usr/libexec/docker/docker-init")  # fmt: skip


def check_engine(facts: HostFacts) -> Check:
    """The engine is on PATH and answers ``info``; its version."""
    if facts.engine is None:
        return Check("engine", "fail", facts.engine_error, INSTALL_ENGINE)
    if facts.info_error:
        found = known_problem(facts.info_error)
        fix = (
            "start the engine's daemon (dockerd) or join the docker group"
            if (facts.engine.kind == "docker")
            else "run the command below by hand to see the engine's full error"
        )
        detail = f"{facts.engine.binary} does not answer: {facts.info_error}"
        if found is not None:
            detail += f" ({found[0]})"
        return Check("engine", "fail", detail, f"{fix}: {facts.engine.kind} info")
    if facts.podman:
        version = facts.info.get("version", {}).get("Version", "?")
    else:
        version = facts.info.get("ServerVersion", "?")
    mode = "rootless" if facts.rootless else "rootful"
    return ok("engine", f"{facts.engine.kind} {version} ({mode}, {facts.engine.binary})")


def _probe_argv(facts: HostFacts, rootfs: Path | None) -> list[str]:
    argv = ["run", "--rm", "--init", "--network", "none"]
    if facts.podman and facts.rootless:
        argv.append("--userns=keep-id")
    if rootfs is not None:
        return [*argv, "--rootfs", str(rootfs), "/bin/busybox", "true"]
    return [*argv, "--entrypoint", "true", facts.image]


def check_container_runs(facts: HostFacts) -> Check:
    """A real container runs with the flags a launch passes (``--init`` among them).

    Podman runs a throwaway root filesystem holding only the host's busybox, so
    the check needs no image; Docker runs the configured image when it is there.
    """
    name = "container runs"
    engine = facts.engine
    if engine is None or not facts.reachable:
        return skip(name, "no engine to run it")
    busybox = shutil.which("busybox", path=facts.env.get("PATH"))
    rootfs: Path | None = None
    if facts.podman and busybox:
        rootfs = Path(tempfile.mkdtemp(prefix="kanibako-doctor-"))
        (rootfs / "bin").mkdir()
        shutil.copy(busybox, rootfs / "bin" / "busybox")
    elif not _image_present(facts):
        return skip(name, f"nothing to run yet: no busybox and no image {facts.image or '?'}")
    try:
        status, _, err = engine_command(engine, _probe_argv(facts, rootfs), timeout=120)
    finally:
        if rootfs is not None:
            shutil.rmtree(rootfs, ignore_errors=True)
    if status == 0:
        return ok(name, f"{engine.kind} run --init --network none: exit 0")
    found = known_problem(err)
    why = last_error_line(err, status)
    if found is None:
        return Check(name, "fail", f"exit {status}: {why}", "see the engine's error above")
    problem, check = found
    facts.probe_problem = check
    return Check(name, "fail", f"exit {status}: {problem}: {why}", f"see check '{check}'")


def _image_present(facts: HostFacts) -> bool:
    if not facts.image or facts.engine is None:
        return False
    status, _, _ = engine_command(facts.engine, ["image", "inspect", facts.image])
    return status == 0


def check_init(facts: HostFacts) -> Check:
    """The init binary ``--init`` needs (Podman: catatonit, or containers.conf's init_path)."""
    name = "init binary"
    if not facts.podman:
        return skip(name, "Docker ships its own (docker-init); 'container runs' proves it")
    from kanibako.doctor.podman_conf import conf_to_edit, merged_conf

    configured = merged_conf(facts.env, facts.rootless).get("containers", {}).get("init_path")
    if isinstance(configured, str) and configured:
        candidates = [configured]
    else:
        candidates = [f"{d}/catatonit" for d in _PODMAN_HELPER_DIRS]
    for candidate in candidates:
        if Path(candidate).is_file():
            return ok(name, candidate)
    wanted = candidates[0] if len(candidates) == 1 else "/usr/libexec/podman/catatonit"
    detail = f"not found: {wanted} (every launch passes --init)"
    other = next((p for p in _OTHER_INITS if Path(p).is_file()), None)
    if other is None:
        return Check(name, "fail", detail, "sudo apt-get install catatonit")
    path, system = conf_to_edit(facts.env, facts.rootless)
    edit = ConfEdit(path, "containers", "init_path", toml_string(other), system=system)
    return Check(name, "fail", detail, edit.describe(), edit)
