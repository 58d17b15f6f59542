"""ContainerSpec -> engine command line: a pure function, tested by comparing lists.

Environment values never appear on the command line (any local user can read
a process's argv with ``ps``). They go into an env file named by the caller;
the few values an env file cannot carry (line breaks, huge values) are passed by name
(``--env KEY``) and reach the engine through its own environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from kanibako_runtime.engine import Engine
from kanibako_runtime.errors import InvalidSpecError
from kanibako_runtime.spec import ContainerSpec, Mount, OverlayMount, TmpfsMount

_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _check_env_key(key: str) -> None:
    if not _ENV_KEY.match(key):
        raise InvalidSpecError(f"invalid environment variable name {key!r}")


# Engines read env files line by line with a 64 KiB line limit (Go's bufio.Scanner).
_MAX_LINE = 60_000


def _file_safe(value: str) -> bool:
    return "\n" not in value and "\r" not in value and len(value) < _MAX_LINE


def env_file_text(env: Mapping[str, str]) -> str:
    """The env-file body for every value an env file can carry (one ``KEY=VALUE`` a line)."""
    lines = []
    for key, value in env.items():
        _check_env_key(key)
        if _file_safe(value):
            lines.append(f"{key}={value}\n")
    return "".join(lines)


def process_env(env: Mapping[str, str], *, env_file: bool) -> dict[str, str]:
    """Values the engine process must carry in its environment for ``--env KEY``."""
    return {k: v for k, v in env.items() if not (env_file and _file_safe(v))}


def _csv_field(text: str) -> str:
    # Both engines read --mount as CSV: quote a field holding a comma or quote.
    if "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _mount_arg(mount: Mount) -> str:
    if not mount.target.startswith("/"):
        raise InvalidSpecError(f"mount target {mount.target!r} must be an absolute path")
    fields = ["type=bind", f"source={mount.source}", f"destination={mount.target}"]
    if mount.read_only:
        fields.append("readonly=true")
    return ",".join(_csv_field(f) for f in fields)


def _overlay_args(engine: Engine, overlay: OverlayMount) -> list[str]:
    paths = (str(overlay.lower), overlay.target, str(overlay.upper), str(overlay.work))
    if not overlay.target.startswith("/") or any(c in p for p in paths for c in ":,\"'\n"):
        # Neither engine can quote these inside its overlay options.
        raise InvalidSpecError(
            f"overlay paths must be absolute and free of ':' ',' and quotes: {paths!r}"
        )
    if engine.kind == "podman":
        return [
            "--volume",
            f"{overlay.lower}:{overlay.target}:O,upperdir={overlay.upper},workdir={overlay.work}",
        ]
    options = f"lowerdir={overlay.lower},upperdir={overlay.upper},workdir={overlay.work}"
    fields = [
        "type=volume",
        f"destination={overlay.target}",
        "volume-driver=local",
        "volume-opt=type=overlay",
        "volume-opt=device=overlay",
        f"volume-opt=o={options}",
    ]
    return ["--mount", ",".join(_csv_field(f) for f in fields)]


def _tmpfs_arg(engine: Engine, tmpfs: TmpfsMount) -> str:
    if not tmpfs.target.startswith("/") or ":" in tmpfs.target:
        raise InvalidSpecError(
            f"tmpfs target {tmpfs.target!r} must be an absolute path without ':'"
        )
    options = ["ro" if tmpfs.read_only else "rw"]
    if tmpfs.size:
        options.append(f"size={tmpfs.size}")
    if engine.kind == "podman":
        # Podman copies the directory's files into a new tmpfs by default,
        # which would defeat the point of hiding them.
        options.append("notmpcopyup")
    return f"{tmpfs.target}:{','.join(options)}"


def _identity_args(
    engine: Engine, spec: ContainerSpec, host_ids: tuple[int, int] | None
) -> list[str]:
    if spec.user is not None:
        return ["--user", spec.user]
    if not spec.keep_id or (engine.kind == "podman" and engine.remote):
        # A remote Podman's users are another host's: nothing to map them to.
        return []
    # Whatever USER the image names, the process must be the host user, so the
    # home Kanibako made on the host is writable and what it writes into the
    # user's tree is the user's.
    if engine.kind == "docker" and engine.rootless:
        return ["--user", "0:0"]  # rootless Docker's root is the host user
    user = [] if host_ids is None else ["--user", f"{host_ids[0]}:{host_ids[1]}"]
    if engine.rootless:
        # Rootless Podman maps the host user to the same uid inside (keep-id).
        return ["--userns=keep-id", *user]
    return user  # a rootful engine: the invoking user's ids (0:0 for root)


def to_argv(
    engine: Engine,
    spec: ContainerSpec,
    *,
    env_file: Path | None = None,
    terminal: bool = False,
    host_ids: tuple[int, int] | None = None,
) -> list[str]:
    """The full ``<engine> run ...`` command for ``spec``.

    ``env_file`` is where the caller writes :func:`env_file_text` (None: every
    value is passed by name). ``terminal`` says whether stdin is a terminal;
    ``-t`` is only emitted when it is and the spec wants a tty. ``host_ids``
    is the caller's (uid, gid), used to map the user on Docker.
    """
    argv = [*engine.base_argv(), "run", *_session_args(spec, terminal)]
    argv += _identity_args(engine, spec, host_ids)
    if engine.kind == "podman":
        # SELinux hosts would deny access to the bind-mounted project; relabelling
        # (:Z) would rewrite labels across the user's tree, so disable confinement.
        argv += ["--security-opt", "label=disable"]
    argv += _privilege_args(spec)
    argv += _limit_args(spec)
    if spec.network:
        argv += ["--network", spec.network]
    if spec.init:
        argv.append("--init")
    if spec.pull:
        argv.append(f"--pull={spec.pull}")
    if spec.workdir:
        argv += ["--workdir", spec.workdir]
    if spec.entrypoint is not None:
        argv += ["--entrypoint", spec.entrypoint]
    argv += _env_args(spec.env, env_file)
    for mount in spec.mounts:
        argv += ["--mount", _mount_arg(mount)]
    for tmpfs in spec.tmpfs:
        argv += ["--tmpfs", _tmpfs_arg(engine, tmpfs)]
    for overlay in spec.overlays:
        argv += _overlay_args(engine, overlay)
    argv.append(spec.image)
    argv += spec.command
    return argv


_CAPABILITY = re.compile(r"^(ALL|(CAP_)?[A-Z][A-Z_]*)$")
_MEMORY = re.compile(r"^[1-9][0-9]*[bkmg]?$")
_CPUS = re.compile(r"^([0-9]+(\.[0-9]+)?)$")


def _privilege_args(spec: ContainerSpec) -> list[str]:
    argv = []
    if spec.no_new_privileges:
        argv += ["--security-opt", "no-new-privileges"]
    if spec.seccomp_profile is not None:
        argv += ["--security-opt", f"seccomp={spec.seccomp_profile}"]
    for flag, names in (("--cap-drop", spec.cap_drop), ("--cap-add", spec.cap_add)):
        for name in names:
            if not _CAPABILITY.match(name):
                raise InvalidSpecError(f"invalid capability name {name!r}")
            argv += [flag, name]
    return argv


def _limit_args(spec: ContainerSpec) -> list[str]:
    argv = []
    if spec.memory is not None:
        if not _MEMORY.match(spec.memory):
            raise InvalidSpecError(f"invalid memory limit {spec.memory!r} (e.g. 4g, 512m)")
        argv += ["--memory", spec.memory]
    if spec.cpus is not None:
        if not _CPUS.match(spec.cpus) or float(spec.cpus) <= 0:
            raise InvalidSpecError(f"invalid cpu limit {spec.cpus!r} (e.g. 2, 0.5)")
        argv += ["--cpus", spec.cpus]
    if spec.pids_limit is not None:
        if spec.pids_limit < 1:
            raise InvalidSpecError(f"invalid pids limit {spec.pids_limit!r}")
        argv += ["--pids-limit", str(spec.pids_limit)]
    return argv


def _session_args(spec: ContainerSpec, terminal: bool) -> list[str]:
    argv = []
    if spec.remove:
        argv.append("--rm")
    if spec.detach:
        argv.append("--detach")
    if spec.interactive:
        argv.append("--interactive")
    if spec.tty and terminal:
        argv.append("--tty")
    if spec.name:
        argv += ["--name", spec.name]
    if spec.hostname:
        argv += ["--hostname", spec.hostname]
    for key, value in spec.labels.items():
        argv += ["--label", f"{key}={value}"]
    return argv


def _env_args(env: Mapping[str, str], env_file: Path | None) -> list[str]:
    argv: list[str] = []
    for key in env:
        _check_env_key(key)
    if env_file is not None and any(_file_safe(v) for v in env.values()):
        argv += ["--env-file", str(env_file)]
    for key in process_env(env, env_file=env_file is not None):
        argv += ["--env", key]
    return argv
