"""A seccomp profile that refuses setuid/setgid mode bits: no such file is made at all.

The teardown sweep clears such bits when the session ends, but while it runs the file
exists on the host, where any local user could run it with its owner's rights. This
profile is the engine's default one with the mode-setting calls narrowed: ``chmod``,
``fchmod``, ``fchmodat``, ``creat``, ``mknod``, ``mknodat`` and ``open``/``openat``
with ``O_CREAT`` or ``O_TMPFILE`` are refused (EPERM) when the mode asks for
``S_ISUID`` or ``S_ISGID``, and allowed otherwise. ``openat2`` carries its mode in a
struct seccomp cannot read: it answers ENOSYS, on which callers fall back to
``openat``. Measured on rootful and rootless Podman 4.3 (README, "Least privilege").
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

# containers-common's default profile: what Podman applies when given none.
ENGINE_DEFAULT_PROFILE = Path("/usr/share/containers/seccomp.json")

_SETUID, _SETGID = 0o4000, 0o2000
_O_CREAT, _O_TMPFILE_BIT = 0o100, 0o20000000  # Linux's generic values (x86-64, arm64)
_EPERM, _ENOSYS = 1, 38
# The argument holding the mode, per call.
_MODE_ARGUMENT = {"chmod": 1, "fchmod": 1, "fchmodat": 2, "creat": 1, "mknod": 1, "mknodat": 2}
# (flags, mode) arguments of the calls that create a file only with O_CREAT/O_TMPFILE;
# without those flags the mode register holds garbage and must not decide.
_OPEN_ARGUMENTS = {"open": (1, 2), "openat": (2, 3)}
_NARROWED = {*_MODE_ARGUMENT, *_OPEN_ARGUMENTS, "openat2"}


def _bits(index: int, mask: int, value: int) -> dict[str, Any]:
    # runc and crun read "value" as the mask and "valueTwo" as what the masked bits equal.
    return {"index": index, "value": mask, "valueTwo": value, "op": "SCMP_CMP_MASKED_EQ"}


def _rule(name: str, *conditions: dict[str, Any], errno: int | None = None) -> dict[str, Any]:
    if errno is None:
        return {"names": [name], "action": "SCMP_ACT_ALLOW", "args": list(conditions)}
    return {
        "names": [name],
        "action": "SCMP_ACT_ERRNO",
        "errnoRet": errno,
        "args": list(conditions),
    }


def _mode_rules() -> list[dict[str, Any]]:
    """Allow and refuse rules that never overlap (the engine's libseccomp then needs no tiebreak)."""
    rules = []
    for name, mode in _MODE_ARGUMENT.items():
        rules.append(_rule(name, _bits(mode, _SETUID | _SETGID, 0)))
        rules += [_rule(name, _bits(mode, bit, bit), errno=_EPERM) for bit in (_SETUID, _SETGID)]
    for name, (flags, mode) in _OPEN_ARGUMENTS.items():
        rules.append(_rule(name, _bits(flags, _O_CREAT | _O_TMPFILE_BIT, 0)))
        rules.append(_rule(name, _bits(mode, _SETUID | _SETGID, 0)))
        rules += [
            _rule(name, _bits(flags, flag, flag), _bits(mode, bit, bit), errno=_EPERM)
            for flag in (_O_CREAT, _O_TMPFILE_BIT)
            for bit in (_SETUID, _SETGID)
        ]
    rules.append({"names": ["openat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": _ENOSYS})
    return rules


def narrowed_profile(default: dict[str, Any]) -> dict[str, Any]:
    """``default`` with the mode-setting calls taken out of its rules and narrowed."""
    syscalls = []
    for rule in default.get("syscalls") or []:
        names = [n for n in rule.get("names", []) if n not in _NARROWED]
        if names:
            syscalls.append({**rule, "names": names})
    return {**default, "syscalls": syscalls + _mode_rules()}


def setuid_refusing_profile(
    default: Path = ENGINE_DEFAULT_PROFILE, directory: Path | None = None
) -> Path | None:
    """The narrowed profile's path (written once per default profile); None without a default.

    It lies in Kanibako's cache dir, which no session can write (hidden even when the
    project is the home directory); its name carries the content's hash, so a changed
    default profile gives a new file and a file is never rewritten in place.
    """
    try:
        source = default.read_bytes()
        profile = narrowed_profile(json.loads(source))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if directory is None:
        from platformdirs import user_cache_dir

        directory = Path(user_cache_dir("kanibako")) / "seccomp"
    data = json.dumps(profile, indent=1, sort_keys=True).encode()
    path = directory / f"no-setuid-{hashlib.sha256(data).hexdigest()[:16]}.json"
    if not path.is_file():
        from kanibako_paths.atomic import atomic_write_bytes

        atomic_write_bytes(path, data, mode=0o644)
    return path
