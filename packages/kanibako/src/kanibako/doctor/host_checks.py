"""Kanibako's own needs on the host: its data directory, the hub socket, image, agent, login."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from kanibako.doctor.facts import HostFacts
from kanibako.doctor.model import Check, ok, skip

GIB = 1024**3
FAIL_BELOW = 1 * GIB
WARN_BELOW = 5 * GIB


def check_config(facts: HostFacts) -> Check:
    """Kanibako's configuration files load."""
    if facts.config_error or facts.paths is None:
        return Check("config", "fail", facts.config_error, "correct or remove the file named")
    return ok("config", f"{facts.paths.config_file} (image {facts.image})")


def _existing_ancestor(path: Path) -> Path:
    # os.path.exists, not Path.exists: a directory we may not search is "not there".
    while not os.path.exists(path) and path != path.parent:  # noqa: PTH110
        path = path.parent
    return path


def check_data_dir(facts: HostFacts) -> Check:
    """The data directory is this user's to read and write, with disk space to spare."""
    name = "data directory"
    if facts.paths is None:
        return skip(name, "configuration did not load")
    data = facts.paths.data_dir
    where = _existing_ancestor(data)
    if not os.access(where, os.R_OK | os.W_OK | os.X_OK):
        return Check(name, "fail", f"{where} is not readable and writable by this user",
                     f"chmod u+rwx {where} (or set [paths] data_path)")  # fmt: skip
    free = shutil.disk_usage(where).free
    detail = f"{data}: {free / GIB:.1f} GiB free"
    if free < FAIL_BELOW:
        return Check(name, "fail", detail, "free disk space (kanibako gc shows what it holds)")
    if free < WARN_BELOW:
        return Check(name, "warn", detail, "kanibako gc shows what Kanibako holds")
    return ok(name, detail)


def _runtime_base(facts: HostFacts) -> Path:
    """Where the hub sockets go: ``$XDG_RUNTIME_DIR/kanibako``, else ``/tmp/kanibako-UID``."""
    runtime = facts.env.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "kanibako"
    systemd = Path("/run/user") / str(os.getuid())
    if systemd.is_dir():
        return systemd / "kanibako"
    return Path(tempfile.gettempdir()) / f"kanibako-{os.getuid()}"


def check_hub_socket(facts: HostFacts) -> Check:
    """The directory for the helper hub's socket is private to this user (or can be made)."""
    name = "hub socket"
    base = _runtime_base(facts)
    try:
        info = base.lstat()
    except FileNotFoundError:
        if os.access(base.parent, os.W_OK | os.X_OK):
            return ok(name, f"{base} (created on first launch)")
        return Check(
            name, "fail", f"cannot create {base}", "set XDG_RUNTIME_DIR to a private directory"
        )
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return Check(name, "fail", f"{base} is not a directory", f"rm {base}")
    if info.st_uid != os.getuid():
        return Check(name, "fail", f"{base} belongs to uid {info.st_uid}",
                     "set XDG_RUNTIME_DIR to a directory of yours")  # fmt: skip
    return ok(name, str(base))


def check_image(facts: HostFacts) -> Check:
    """The configured image is present, and what is known of its freshness."""
    name = "image"
    engine = facts.engine
    if engine is None or not facts.reachable or not facts.image:
        return skip(name, "no engine to ask" if facts.image else "configuration did not load")
    from kanibako.doctor.facts import engine_command
    from kanibako.images.freshness import status_freshness

    status, _, _ = engine_command(engine, ["image", "inspect", facts.image])
    if status != 0:
        return Check(name, "warn", f"{facts.image} is not here yet (the first launch builds it)",
                     "kanibako setup")  # fmt: skip
    freshness = status_freshness(facts.image, facts.engine_choice or None)
    return ok(name, f"{facts.image}: {freshness}")


def _version(binary: Path) -> str:
    try:
        done = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                              timeout=15, check=False, stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "version unknown"
    first = (done.stdout.strip().splitlines() or ["version unknown"])[0]
    return first if done.returncode == 0 else "version unknown"


def agent_checks(facts: HostFacts) -> list[Check]:
    """The agent detected on the host (kind, version, path), and its credentials."""
    if facts.config_error:
        return [skip("agent", "configuration did not load"), skip("credentials", "no agent")]
    from kanibako_targets.internal import resolve_target

    try:
        resolved = resolve_target(facts.target_name or None)
    except Exception as exc:  # an unknown or broken target plugin
        if not type(exc).__module__.startswith("kanibako"):
            raise
        return [Check("agent", "fail", str(exc), "kanibako config target_name NAME"),
                skip("credentials", "no agent")]  # fmt: skip
    install = resolved.target.detect() if resolved.install is None else resolved.install
    kind = resolved.target.name
    if install is None or kind == "no_agent":
        fix = "npm install -g @anthropic-ai/claude-code"
        return [Check("agent", "warn", "no agent found: sessions are a plain shell", fix),
                skip("credentials", "no agent")]  # fmt: skip
    agent = ok(
        "agent", f"{kind} {_version(install.binary)} at {install.binary} ({install.found_via})"
    )
    auth = resolved.target.check_auth()
    if auth.ok:
        return [agent, ok("credentials", auth.detail)]
    return [agent, Check("credentials", "warn", auth.detail, "kanibako reauth")]
