"""Warm standby: after a session, one fresh container of the same spec waits for the next launch.

The standby runs ``sleep <keep_warm>`` under the engine's init, with ``--rm``:
when it expires it ends and is removed by the engine itself, even if no
Kanibako process is left alive. A launch whose spec has the standby's key
(every field but the name, the command and the terminal flags) claims it
(one use: the claim is the atomic rename of the project's ``standby.json``),
runs its command in it with ``exec`` and removes it afterwards; anything else
discards it and launches cold. Preparing the next standby, and removing the
used one, happens in a process forked off after the session, so neither is on
the critical path of a launch.

A container holds the host files and directories it binds as the inodes they
were when it started: the sockets each session serves (the hub's, the egress
proxy's) are therefore bound as their project's directories, the same for
every session, and made anew inside them. A bind source replaced on the host
since the standby started (a control file saved by an editor that renames, a
directory made again) would stay the old one in it: the standby records the
(device, inode) of every host path it mounts, and a claim that finds any of
them changed discards it.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, replace
from dataclasses import fields as dataclass_fields
from pathlib import Path

from kanibako.session import layout
from kanibako_paths import (
    ConfigError,
    KanibakoPathsError,
    Project,
    ResolvedConfig,
    atomic_write_bytes,
)
from kanibako_paths.regular_file import read_regular_file
from kanibako_runtime import ContainerSpec, Engine

STATE_FILE = "standby.json"
LOG_FILE = "standby.log"
KEY = "session_keep_warm"
# The default of keep_warm when no config file sets it (CI and test suites: 0).
DEFAULT_ENV = "KANIBAKO_KEEP_WARM"
# A standby this close to its expiry is not used: it could end mid-session.
MARGIN = 10.0


@dataclass(frozen=True)
class Standby:
    """The project's waiting container, as ``standby.json`` records it."""

    name: str
    key: str
    expires: float
    engine: str
    sources: tuple[tuple[str, int, int], ...] = ()
    """(path, st_dev, st_ino) of each host path the standby mounts, as it started."""


def source_identities(spec: ContainerSpec) -> tuple[tuple[str, int, int], ...]:
    """(path, st_dev, st_ino) of every host path ``spec`` binds or layers (-1s: missing)."""
    paths = [m.source for m in spec.mounts]
    paths += [p for o in spec.overlays for p in (o.lower, o.upper, o.work)]
    return tuple(_identity(str(path)) for path in dict.fromkeys(paths))


def _identity(path: str) -> tuple[str, int, int]:
    try:
        found = Path(path).stat()  # followed, as the engine follows a link it binds
    except OSError:
        return (path, -1, -1)
    return (path, found.st_dev, found.st_ino)


def _unchanged(sources: tuple[tuple[str, int, int], ...]) -> bool:
    return all(_identity(path) == (path, dev, ino) for path, dev, ino in sources)


def keep_warm_seconds(config: ResolvedConfig) -> int:
    """The ``keep_warm`` setting, checked: a whole number >= 0 (ConfigError, exit 2, otherwise)."""
    value = config.values[KEY].strip()
    where = config.sources.get(KEY, "config")
    if where == "default" and os.environ.get(DEFAULT_ENV) is not None:
        value, where = os.environ[DEFAULT_ENV].strip(), f"${DEFAULT_ENV}"
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(
            f"keep_warm ({where}) must be a whole number of seconds >= 0, not {value!r}"
        )
    return int(value)


def spec_key(engine: Engine, spec: ContainerSpec) -> str:
    """What must be equal for a launch to run in a standby: all but name, command and terminal."""
    import hashlib
    import json

    ignored = {"name", "entrypoint", "command", "interactive", "tty", "detach", "remove"}
    fields: dict[str, object] = {
        f.name: getattr(spec, f.name) for f in dataclass_fields(spec) if f.name not in ignored
    }
    fields["env"] = dict(spec.env)
    fields["labels"] = {k: v for k, v in spec.labels.items() if k != layout.LABEL_STANDBY}
    fields["mounts"] = [[str(m.source), m.target, m.read_only] for m in spec.mounts]
    fields["tmpfs"] = [[t.target, t.read_only, t.size] for t in spec.tmpfs]
    fields["engine"] = [engine.kind, engine.binary, engine.rootless, engine.remote]
    text = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def standby_spec(spec: ContainerSpec, key: str, keep_warm: int) -> ContainerSpec:
    """The standby container for a session of ``spec``: the same container, sleeping."""
    import secrets

    name = f"{spec.name or 'kanibako'}-warm-{secrets.token_hex(3)}"
    return replace(
        spec,
        name=name,
        entrypoint="sleep",
        command=(str(keep_warm),),
        interactive=False,
        tty=False,
        detach=True,
        remove=True,
        init=True,
        labels={**spec.labels, layout.LABEL_STANDBY: key},
    )


def _state_file(project: Project) -> Path:
    return project.metadata_dir / STATE_FILE


def _read(path: Path) -> Standby | None:
    import json

    try:
        record = json.loads(read_regular_file(path, KanibakoPathsError))
        sources = tuple((str(p), int(d), int(i)) for p, d, i in record["sources"])
        return Standby(
            str(record["name"]),
            str(record["key"]),
            float(record["expires"]),
            str(record["engine"]),
            sources,
        )
    except (OSError, KanibakoPathsError, ValueError, KeyError, TypeError):
        return None


def claim(project: Project, engine: Engine, key: str) -> str | None:
    """The name of the project's standby when it fits ``key`` (now claimed), else None.

    A standby that does not fit, or one whose bind sources changed identity
    since it started, is discarded (removed in the background).
    """
    state = _state_file(project)
    claimed = state.with_name(f"{STATE_FILE}.claimed-{os.getpid()}")
    try:
        state.rename(claimed)  # atomic: of two launches, one gets it
    except FileNotFoundError:
        return None
    standby = _read(claimed)
    claimed.unlink(missing_ok=True)
    if standby is None:
        return None
    fits = standby.key == key and standby.engine == engine.binary
    if fits and standby.expires - time.time() > MARGIN and _unchanged(standby.sources):
        return standby.name
    remove_in_background(engine, standby.name)
    return None


def remove_in_background(engine: Engine, name: str) -> None:
    """``<engine> rm --force NAME`` without waiting for it (it takes a quarter second).

    A shell puts it in the background and exits at once, so nothing is left
    for this process to reap.
    """
    import subprocess

    grace = ["--time", "0"] if engine.kind == "podman" else []
    subprocess.run(
        ["/bin/sh", "-c", '"$@" </dev/null >/dev/null 2>&1 &', "kanibako-discard",
         *engine.base_argv(), "rm", "--force", *grace, name],
        check=False,
    )  # fmt: skip


def forget(project: Project, name: str) -> None:
    """Drop the record of the standby ``name`` (``stop`` ended it): the next launch goes cold at once."""
    state = _state_file(project)
    standby = _read(state)
    if standby is not None and standby.name == name:
        state.unlink(missing_ok=True)


def prepare_next(
    project: Project, engine: Engine, spec: ContainerSpec, keep_warm: int, used: str | None
) -> None:
    """Fork a process that removes ``used`` (the container just served) and starts the next standby.

    Returns at once in this process. The child has its own session (a closing
    terminal does not end it) and writes what goes wrong to the project's
    ``standby.log``.
    """
    try:
        pid = os.fork()
    except OSError:
        if used:
            remove_in_background(engine, used)
        return
    if pid:
        return
    try:
        os.setsid()
        _to_log(project.metadata_dir / LOG_FILE)
        _prepare(project, engine, spec, keep_warm, used)
    except BaseException as exc:
        print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} standby not prepared: {exc}", flush=True)
        os._exit(1)
    os._exit(0)


def _to_log(log: Path) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)


def _prepare(
    project: Project, engine: Engine, spec: ContainerSpec, keep_warm: int, used: str | None
) -> None:
    import json

    from kanibako_runtime import remove, run_detached

    if used:
        remove(engine, used)
    key = spec_key(engine, spec)
    standby = standby_spec(spec, key, keep_warm)
    assert standby.name is not None  # noqa: S101 - standby_spec always names it
    started = time.time()
    # Taken before the start and checked after it: a source replaced in between
    # could be either inode in the container, so such a standby is not kept.
    sources = source_identities(standby)
    run_detached(engine, standby)
    if source_identities(standby) != sources:
        remove(engine, standby.name)
        return
    record = Standby(standby.name, key, started + keep_warm, engine.binary, sources)
    state = _state_file(project)
    earlier = _read(state)  # another session's standby, prepared meanwhile
    atomic_write_bytes(state, json.dumps(asdict(record)).encode())
    if earlier is not None and earlier.name != record.name:
        remove(engine, earlier.name)
