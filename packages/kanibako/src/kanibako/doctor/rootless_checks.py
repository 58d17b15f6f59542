"""What a rootless engine needs from the host: id ranges, the setuid helpers, storage, network."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
from pathlib import Path

from kanibako.doctor.facts import HostFacts
from kanibako.doctor.model import Check, ConfEdit, ok, skip, toml_string

ID_RANGE = 65536  # a full 16-bit range: what images with system users expect
TUN = Path("/dev/net/tun")


def _not_rootless(facts: HostFacts, name: str) -> Check | None:
    if not facts.reachable:
        return skip(name, "no engine to ask")
    if not (facts.podman and facts.rootless):
        return skip(name, "not rootless Podman")
    return None


def _user() -> tuple[str, int]:
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name, uid
    except KeyError:
        return str(uid), uid


def _ranges(file: Path, name: str, uid: int) -> tuple[int, int]:
    """(ids granted to this user in ``file``, the highest id granted to anyone)."""
    mine = highest = 0
    try:
        text = file.read_text()
    except OSError:
        return 0, 0
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        start, count = int(parts[1]), int(parts[2])
        highest = max(highest, start + count)
        if parts[0] in (name, str(uid)):
            mine += count
    return mine, highest


def check_subids(facts: HostFacts) -> Check:
    """This user has subordinate uid and gid ranges (the container's other users)."""
    name = "subuid/subgid"
    if (skipped := _not_rootless(facts, name)) is not None:
        return skipped
    user, uid = _user()
    uids, top_u = _ranges(Path("/etc/subuid"), user, uid)
    gids, top_g = _ranges(Path("/etc/subgid"), user, uid)
    if uids >= ID_RANGE and gids >= ID_RANGE:
        return ok(name, f"{user}: {uids} uids, {gids} gids")
    start = max(100000, top_u, top_g)
    fix = f"sudo usermod --add-subuids {start}-{start + ID_RANGE - 1} " + (
        f"--add-subgids {start}-{start + ID_RANGE - 1} {user}"
    )
    return Check(name, "fail", f"{user}: {uids} subuids, {gids} subgids (need {ID_RANGE})", fix)


def _privileged(path: str) -> bool:
    """Setuid root, or file capabilities (Debian's uidmap ships setuid)."""
    info = Path(path).stat()
    if info.st_mode & stat.S_ISUID and info.st_uid == 0:
        return True
    try:
        return bool(os.getxattr(path, "security.capability"))
    except OSError:
        return False


def check_idmap_helpers(facts: HostFacts) -> Check:
    """newuidmap and newgidmap are installed and privileged."""
    name = "newuidmap"
    if (skipped := _not_rootless(facts, name)) is not None:
        return skipped
    found = []
    for helper in ("newuidmap", "newgidmap"):
        path = shutil.which(helper, path=facts.env.get("PATH")) or shutil.which(
            helper, path="/usr/bin:/usr/sbin:/bin:/sbin"
        )
        if path is None:
            return Check(name, "fail", f"{helper} is not installed", "sudo apt-get install uidmap")
        if not _privileged(path):
            return Check(name, "fail", f"{path} is neither setuid root nor has capabilities",
                         f"sudo chmod u+s {path}")  # fmt: skip
        found.append(path)
    return ok(name, ", ".join(found))


def _native_overlay_possible() -> bool:
    """Rootless overlay without fuse-overlayfs needs Linux 5.13 or later."""
    release = os.uname().release.split("-")[0].split(".")
    try:
        return (int(release[0]), int(release[1])) >= (5, 13)
    except (ValueError, IndexError):
        return False


def overlay_edit(facts: HostFacts) -> ConfEdit:
    """The storage.conf line that moves this user's Podman to overlay (and the reset it needs)."""
    from kanibako.doctor.podman_conf import storage_to_edit

    path, system = storage_to_edit(facts.env, facts.rootless)
    binary = facts.engine.binary if facts.engine else "podman"
    return ConfEdit(path, "storage", "driver", toml_string("overlay"), system,
                    then_run=(binary, "system", "reset", "--force"),
                    then_why="the vfs storage must go: this removes your Podman images "
                    "and containers")  # fmt: skip


def check_storage(facts: HostFacts) -> Check:
    """The storage driver: overlay, or vfs (every container a full copy: slow, warn)."""
    name = "storage driver"
    if not facts.reachable:
        return skip(name, "no engine to ask")
    driver = facts.info.get("store", {}).get("graphDriverName") if facts.podman else (
        facts.info.get("Driver"))  # fmt: skip
    if driver != "vfs":
        return ok(name, str(driver or "unknown"))
    detail = "vfs: every container copies its whole image (seconds per launch)"
    if not facts.podman:
        return Check(name, "warn", detail, 'daemon.json: "storage-driver": "overlay2"')
    edit = overlay_edit(facts)
    fuse = shutil.which("fuse-overlayfs", path=facts.env.get("PATH"))
    if not _native_overlay_possible() and fuse is None:
        return Check(name, "warn", detail, "sudo apt-get install fuse-overlayfs, then "
                     + edit.describe())  # fmt: skip
    if not _native_overlay_possible():
        detail += " (this kernel needs fuse-overlayfs for rootless overlay)"
    fix = f"{edit.describe()}, then {' '.join(edit.then_run)}"
    return Check(name, "warn", detail, fix, edit)


def check_network(facts: HostFacts) -> Check:
    """The rootless network: slirp4netns/pasta need /dev/net/tun, unless netns is host or none."""
    name = "rootless network"
    if (skipped := _not_rootless(facts, name)) is not None:
        return skipped
    from kanibako.doctor.podman_conf import conf_to_edit, merged_conf

    netns = merged_conf(facts.env, True).get("containers", {}).get("netns")
    if netns in ("host", "none"):
        return ok(name, f'containers.conf netns = "{netns}": no /dev/net/tun needed')
    helper = facts.info.get("host", {}).get("slirp4netns", {}).get("executable") or shutil.which(
        "slirp4netns", path=facts.env.get("PATH")
    )
    if not helper:
        return Check(name, "fail", "no slirp4netns", "sudo apt-get install slirp4netns")
    if not os.access(TUN, os.R_OK | os.W_OK):
        # Only `network = "open"` needs the engine's network (allowlist and none run
        # with --network none), and netns = "host" would hand such sessions the
        # host's network, loopback included: so a warning, and nothing --fix applies.
        path, _ = conf_to_edit(facts.env, True)
        host_netns = ConfEdit(path, "containers", "netns", toml_string("host"))
        return Check(name, "warn",
                     f'{TUN} cannot be opened by this user: network = "open" sessions cannot '
                     "start (the default, allowlist, needs no network)",
                     f"sudo chmod 0666 {TUN} for open mode (or {host_netns.describe()}: open "
                     "sessions then share the host's network, loopback included)")  # fmt: skip
    return ok(name, f"{helper} with {TUN}")
