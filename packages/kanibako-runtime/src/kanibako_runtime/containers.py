"""Running, stopping and finding containers.

A foreground container is a child process of Kanibako. Whatever ends the
session (the container exiting, Ctrl-C, SIGTERM, an error in Kanibako), the
context manager :func:`foreground` stops the container and waits for it, so
nothing is left running.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kanibako_runtime.argv import env_file_text, process_env, to_argv
from kanibako_runtime.calls import engine_call, last_line
from kanibako_runtime.engine import Engine, find_executable
from kanibako_runtime.errors import EngineCommandError, EngineNotFoundError, InvalidSpecError
from kanibako_runtime.spec import ContainerSpec
from kanibako_runtime.stderr_tail import StderrTail

STOP_TIMEOUT = 2  # seconds the container gets to exit on SIGTERM before SIGKILL
_REMOVAL_WAIT = 30  # seconds a removal the engine already started may take


@dataclass(frozen=True)
class ContainerInfo:
    """One container as the engine lists it."""

    id: str
    name: str
    image: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)
    created: str = ""  # as the engine gives it: Podman a Unix time, Docker a date string


# An env file this small fits in a pipe's buffer (64 KiB on Linux) and is
# written whole before the engine starts.
_PIPE_LIMIT = 60_000


@dataclass(frozen=True)
class _EnvSource:
    """Where the engine reads the env file from, and the descriptor it must inherit."""

    path: Path | None
    fds: tuple[int, ...] = ()


def _env_dir() -> Path:
    # A per-user tmpfs when there is one; else the system temp dir.
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime)
    return Path(os.environ.get("TMPDIR") or "/tmp")  # noqa: S108


@contextmanager
def _env_file(spec: ContainerSpec) -> Iterator[_EnvSource]:
    """The spec's env values as a file only the engine reads, gone afterwards.

    Normally a pipe the engine inherits (``/dev/fd/N``): the values never touch
    a disk. A very large env goes to a private (0600) file, removed after the run.
    """
    data = env_file_text(spec.env).encode()
    if not data:
        yield _EnvSource(None)
        return
    if len(data) <= _PIPE_LIMIT and Path("/dev/fd").is_dir():
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, data)
        finally:
            os.close(write_end)
        try:
            yield _EnvSource(Path(f"/dev/fd/{read_end}"), (read_end,))
        finally:
            os.close(read_end)
        return
    # Not tempfile.mkstemp: importing tempfile costs more than this on every launch.
    name = _env_dir() / f"kanibako-env-{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield _EnvSource(name)
    finally:
        with suppress(FileNotFoundError):
            name.unlink()


def _command(
    engine: Engine, spec: ContainerSpec, env_file: _EnvSource, terminal: bool
) -> list[str]:
    return to_argv(
        engine,
        spec,
        env_file=env_file.path,
        terminal=terminal,
        host_ids=(os.getuid(), os.getgid()),
    )


def _child_env(spec: ContainerSpec, env_file: _EnvSource) -> dict[str, str]:
    return {**os.environ, **process_env(spec.env, env_file=env_file.path is not None)}


def _death_signal_wrapper() -> list[str]:
    """``setpriv --pdeathsig TERM --`` in front of the engine, when setpriv exists.

    If Kanibako itself is killed outright (SIGKILL: no cleanup runs), the engine
    client then gets SIGTERM, passes it on to the container (sig-proxy), and
    the container ends instead of living on.
    """
    setpriv = find_executable("setpriv", os.environ.get("PATH"))
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


class OrphanReaper:
    """A tiny watcher that removes the container if Kanibako dies without cleaning up.

    ``setpriv --pdeathsig`` alone is not enough: the engine client passes the
    SIGTERM on to the container, and a container whose PID 1 ignores SIGTERM
    (any process started without ``--init``, e.g. ``sleep``) lives on. The
    watcher holds the read end of a pipe whose only write end is Kanibako's;
    the kernel closes it however Kanibako ends, the watcher's ``cat`` sees EOF
    and it runs ``<engine> rm --force NAME``. A clean exit kills the watcher
    first. It ignores the terminal's signals (its own session) so a closing
    terminal does not take it down before it has done its job.
    """

    _SCRIPT = 'trap "" HUP INT TERM QUIT; cat >/dev/null; exec "$@" >/dev/null 2>&1'

    def __init__(self, engine: Engine, name: str) -> None:
        read_end, self._write_end = os.pipe()  # both non-inheritable
        try:
            self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["/bin/sh", "-c", self._SCRIPT, "kanibako-reaper",
                 *engine.base_argv(), "rm", "--force", name],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        except OSError:
            self._process = None  # no /bin/sh: setpriv's death signal still applies
        finally:
            os.close(read_end)

    def disarm(self) -> None:
        """Kanibako is cleaning up itself: end the watcher without it acting."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
        if self._write_end >= 0:
            os.close(self._write_end)
            self._write_end = -1


def stdin_is_terminal() -> bool:
    """Whether a tty should be given to the container."""
    try:
        return sys.stdin is not None and os.isatty(sys.stdin.fileno())
    except (ValueError, OSError):
        return False


class ForegroundContainer:
    """A running ``<engine> run`` child; :meth:`wait` gives the container's exit status."""

    def __init__(
        self,
        engine: Engine,
        spec: ContainerSpec,
        process: subprocess.Popen[bytes],
        stderr: StderrTail | None = None,
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.process = process
        self._stderr = stderr

    def wait(self) -> int:
        """Block until the container exits; its status (engine failures are 125-127)."""
        status = self.process.wait()
        if self._stderr is not None:
            self._stderr.join()
        return status

    def stderr_tail(self) -> str:
        """The last few KiB the engine wrote to stderr (it was shown as it came)."""
        return self._stderr.text() if self._stderr is not None else ""

    def stop(self, timeout: int = STOP_TIMEOUT) -> None:
        """Stop the container (SIGTERM, SIGKILL after ``timeout`` s) and reap the engine."""
        if self.process.poll() is not None:
            return
        if self.spec.name:
            with suppress(EngineCommandError, EngineNotFoundError):
                stop(self.engine, self.spec.name, timeout=timeout)
        else:
            # No name to stop it by: the engine client passes SIGTERM on (sig-proxy).
            self.process.terminate()
        try:
            self.process.wait(timeout=timeout + 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.spec.name and self.spec.remove:
            # The engine client may have died before removing it.
            with suppress(EngineCommandError, EngineNotFoundError):
                remove(self.engine, self.spec.name)


@contextmanager
def foreground(
    engine: Engine,
    spec: ContainerSpec,
    *,
    announce: Callable[[list[str]], None] | None = None,
) -> Iterator[ForegroundContainer]:
    """Start ``spec`` attached to this process; on leaving, the container is stopped.

    ``announce``, when given, is called with the engine argv before it runs
    (for ``-v``; the argv holds no env values).
    """
    if spec.detach:
        raise InvalidSpecError("foreground() needs a spec without detach")
    terminal = stdin_is_terminal()
    with _env_file(spec) as env_file:
        argv = _command(engine, spec, env_file, terminal)
        if announce is not None:
            announce(argv)
        try:
            # Without a terminal the engine gets its own process group, so a
            # Ctrl-C reaches Kanibako alone and it stops the container in order.
            process = subprocess.Popen(
                [*_death_signal_wrapper(), *argv],
                env=_child_env(spec, env_file),
                pass_fds=env_file.fds,
                process_group=None if terminal else 0,
                stderr=subprocess.PIPE,
            )
        except FileNotFoundError as exc:
            raise EngineNotFoundError(f"container engine {engine.binary!r} is gone") from exc
        reaper = OrphanReaper(engine, spec.name) if spec.name else None
        # The engine's stderr passes through as it comes, and its tail is kept, so
        # a failure on a host problem can be named afterwards.
        tail = StderrTail(process.stderr) if process.stderr is not None else None
        container = ForegroundContainer(engine, spec, process, tail)
        try:
            yield container
        finally:
            try:
                container.stop()
            finally:
                if reaper is not None:
                    reaper.disarm()


def run(engine: Engine, spec: ContainerSpec) -> int:
    """Run ``spec`` in the foreground and return the container's exit status."""
    with foreground(engine, spec) as container:
        return container.wait()


def run_detached(engine: Engine, spec: ContainerSpec) -> str:
    """Start ``spec`` in the background; returns the container id."""
    if not spec.detach:
        spec = replace(spec, detach=True)
    with _env_file(spec) as env_file:
        argv = _command(engine, spec, env_file, terminal=False)
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            env=_child_env(spec, env_file),
            pass_fds=env_file.fds,
        )
    if done.returncode != 0:
        raise EngineCommandError(
            f"could not start container {spec.name or spec.image}: {last_line(done)}"
        )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def stop(engine: Engine, name: str, *, timeout: int = STOP_TIMEOUT) -> bool:
    """Stop a container; False when there was no such container."""
    done = engine_call(engine, ["stop", "--time", str(timeout), name], check=False)
    if done.returncode == 0:
        return True
    if _no_such(done):
        return False
    raise EngineCommandError(f"could not stop {name}: {last_line(done)}")


def remove(engine: Engine, name: str) -> bool:
    """Remove a container (forcibly); False when there was no such container."""
    # Podman would give a running container 10 s to stop; Docker kills at once.
    grace = ["--time", str(STOP_TIMEOUT)] if engine.kind == "podman" else []
    done = engine_call(engine, ["rm", "--force", *grace, name], check=False)
    if done.returncode == 0 and done.stdout.strip():
        return True
    if done.returncode == 0 or _no_such(done):
        return False
    if "already in progress" in (done.stderr or ""):
        # Docker's own --rm is removing it (it has just stopped): wait until it is gone.
        return _gone_within(engine, name, _REMOVAL_WAIT)
    raise EngineCommandError(f"could not remove {name}: {last_line(done)}")


def _gone_within(engine: Engine, name: str, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while inspect(engine, name) is not None:
        if time.monotonic() > deadline:
            raise EngineCommandError(
                f"could not remove {name}: still being removed after {seconds} s"
            )
        time.sleep(0.05)
    return True


def _no_such(done: subprocess.CompletedProcess[str]) -> bool:
    text = (done.stderr or "").lower()
    return "no such container" in text or "no container with name or id" in text


def _labels(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, str) and raw:
        # Docker prints labels as "k=v,k2=v2".
        return dict(item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {}


def _info(row: dict[str, Any]) -> ContainerInfo:
    names = row.get("Names") or row.get("Name") or ""
    name = names[0] if isinstance(names, list) and names else str(names).split(",")[0]
    return ContainerInfo(
        id=str(row.get("Id") or row.get("ID") or ""),
        name=name.lstrip("/"),
        image=str(row.get("Image") or ""),
        state=str(row.get("State") or row.get("Status") or "").lower(),
        labels=_labels(row.get("Labels")),
        created=str(row.get("StartedAt") or row.get("Created") or row.get("CreatedAt") or ""),
    )


def parse_ps(text: str) -> list[ContainerInfo]:
    """Rows of ``ps --format json`` (Podman: one array; Docker: one object a line)."""
    from kanibako_runtime.engine_json import json_rows

    return [_info(row) for row in json_rows(text)]


def list_containers(
    engine: Engine, labels: Mapping[str, str | None], *, include_stopped: bool = False
) -> list[ContainerInfo]:
    """Containers carrying every label given (a None value: the label with any value)."""
    args = ["ps", "--no-trunc"]
    if include_stopped:
        args.append("--all")
    for key, value in labels.items():
        args += ["--filter", f"label={key}" if value is None else f"label={key}={value}"]
    args += ["--format", "json" if engine.kind == "podman" else "{{json .}}"]
    return parse_ps(engine_call(engine, args).stdout)


def inspect(engine: Engine, name: str) -> dict[str, Any] | None:
    """The engine's inspect record for a container, or None when it does not exist."""
    done = engine_call(engine, ["container", "inspect", name], check=False)
    if done.returncode != 0:
        if _no_such(done) or "no such object" in done.stderr.lower():
            return None
        raise EngineCommandError(f"could not inspect {name}: {last_line(done)}")
    import json

    records = json.loads(done.stdout or "[]")
    return records[0] if records else None
