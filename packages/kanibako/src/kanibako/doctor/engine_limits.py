"""What the engine asks of the kernel for each container: rlimits and cgroups."""

from __future__ import annotations

import resource
import shutil
from pathlib import Path

from kanibako.doctor.facts import HostFacts
from kanibako.doctor.model import Check, ConfEdit, ok, skip, toml_string, toml_strings

# Rootful Podman raises nofile and nproc to this when containers.conf sets no
# default_ulimits (its RLimitDefaultValue); rootless Podman keeps the caller's.
PODMAN_DEFAULT_LIMIT = 1048576
NPROC_SAFE = 32768
_CAP_SYS_RESOURCE = 24
_UNLIMITED = resource.RLIM_INFINITY


def _has_cap_sys_resource() -> bool:
    """Whether this process may raise hard limits (containers often drop the capability)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> _CAP_SYS_RESOURCE & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def _parse_ulimit(entry: str) -> tuple[str, int] | None:
    """``nofile=soft:hard`` (or ``nofile=N``) -> (name, hard), -1 meaning unlimited."""
    name, _, values = entry.partition("=")
    hard = values.rpartition(":")[2] if ":" in values else values
    try:
        number = int(hard)
    except ValueError:
        return None
    return name.strip().lower(), _UNLIMITED if number < 0 else number


def _wanted_limits(facts: HostFacts) -> dict[str, int]:
    from kanibako.doctor.podman_conf import merged_conf

    configured = merged_conf(facts.env, facts.rootless).get("containers", {}).get("default_ulimits")
    wanted: dict[str, int] = {}
    if isinstance(configured, list):
        for entry in configured:
            parsed = _parse_ulimit(str(entry))
            if parsed is not None:
                wanted[parsed[0]] = parsed[1]
    if not facts.rootless:
        wanted.setdefault("nofile", PODMAN_DEFAULT_LIMIT)
        wanted.setdefault("nproc", PODMAN_DEFAULT_LIMIT)
    return wanted


def _host_hard(name: str) -> int | None:
    constant = getattr(resource, f"RLIMIT_{name.upper()}", None)
    return None if constant is None else resource.getrlimit(constant)[1]


def _shown(value: int) -> str:
    return "unlimited" if value == _UNLIMITED else str(value)


def _safe(limit: str, hard: int) -> int:
    """A value runc can set here: at most the hard limit, and nproc at most 32768.

    Measured on the CI hosts (no CAP_SYS_RESOURCE): nofile at the hard limit
    works, but nproc fails with EPERM well below its hard limit; 32768 works.
    """
    cap = NPROC_SAFE if limit == "nproc" else PODMAN_DEFAULT_LIMIT
    return min(hard, cap) if hard != _UNLIMITED else cap


def check_ulimits(facts: HostFacts) -> Check:
    """The engine's default rlimits fit under this host's hard limits (else runc's EPERM)."""
    name = "ulimits"
    if not facts.podman:
        return skip(name, "Docker containers inherit the daemon's limits")
    if facts.euid == 0 and not facts.rootless and _has_cap_sys_resource():
        return ok(name, "root with CAP_SYS_RESOURCE may raise any limit")
    wanted = _wanted_limits(facts)
    too_high = []
    for limit, value in sorted(wanted.items()):
        hard = _host_hard(limit)
        if hard is not None and hard != _UNLIMITED and (value == _UNLIMITED or value > hard):
            too_high.append(f"{limit} {_shown(value)} > hard limit {hard}")
    if not too_high and facts.probe_problem != name:
        return ok(name, "default ulimits within the hard limits")
    from kanibako.doctor.podman_conf import conf_to_edit

    pinned = []
    for limit, value in wanted.items():
        hard = _host_hard(limit)
        safe = value if hard is None else min(value, _safe(limit, hard))
        pinned.append(f"{limit}={safe}:{safe}")
    path, system = conf_to_edit(facts.env, facts.rootless)
    edit = ConfEdit(path, "containers", "default_ulimits", toml_strings(pinned), system)
    detail = "; ".join(too_high) or "the test container could not set them"
    return Check(name, "fail", detail + " (runc: error setting rlimits)", edit.describe(), edit)


def _cgroup_hybrid() -> bool:
    """cgroup v1 with a v2 hierarchy mounted beside it (crun refuses to run there)."""
    return (
        Path("/sys/fs/cgroup/unified").is_dir()
        and not Path("/sys/fs/cgroup/cgroup.controllers").exists()
    )


def check_runtime(facts: HostFacts) -> Check:
    """The OCI runtime can run containers with this host's cgroup version."""
    name = "oci runtime"
    if not facts.reachable:
        return skip(name, "no engine to ask")
    if not facts.podman:
        runtime = facts.info.get("DefaultRuntime", "?")
        return ok(name, f"{runtime}, cgroup v{facts.info.get('CgroupVersion', '?')}")
    host = facts.info.get("host", {})
    runtime = host.get("ociRuntime", {}) or {}
    runtime_name = str(runtime.get("name", "?"))
    version = str(runtime.get("version", "")).splitlines()[0] if runtime.get("version") else ""
    cgroups = str(host.get("cgroupVersion", "?"))
    detail = f"{runtime_name} ({version or 'version unknown'}), cgroup {cgroups}"
    if runtime_name == "crun" and cgroups == "v1" and _cgroup_hybrid():
        from kanibako.doctor.podman_conf import conf_to_edit

        path, system = conf_to_edit(facts.env, facts.rootless)
        edit = ConfEdit(path, "engine", "runtime", toml_string("runc"), system)
        if shutil.which("runc", path=facts.env.get("PATH")) is None:
            return Check(name, "fail", f"{detail}: crun cannot run cgroups in hybrid mode",
                         f"sudo apt-get install runc, then {edit.describe()}")  # fmt: skip
        return Check(name, "fail", f"{detail}: crun cannot run cgroups in hybrid mode",
                     edit.describe(), edit)  # fmt: skip
    return ok(name, detail)
