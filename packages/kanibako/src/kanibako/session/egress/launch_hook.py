"""What a session's containers get from the egress module, and its teardown.

``start_egress`` reads the ``network`` mode and, in ``allowlist`` mode, starts
the proxy; ``EgressSession.director()`` / ``helper(n)`` say what to add to a
ContainerSpec (mounts, env, ``network``, the command wrapped by the forwarder);
``EgressSession.close()`` stops the proxy and prints the denied destinations.

```
host                                            container (--network none)
<runtime>/kanibako/<hash16>/e<N>/           ->  /run/kanibako-egress/sock/       (ro)
    egress.sock                                     egress.sock
<cache>/bundle/kanibako-<content>.pyz       ->  /run/kanibako-egress/kanibako.pyz (ro)
<metadata>/egress-log.jsonl                     (the decision log, host only)
```

The socket is bound as its directory, the same for every session of the
project (helper N's is ``e<N>/``): the director's spec is then equal from one
session to the next, and a container started before this session's proxy (a
warm standby) reaches the socket this proxy listens on. Read-only: a socket
connects on a read-only mount, and the box can plant nothing there.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kanibako.display import safe_line
from kanibako_paths import KanibakoPaths, Project, resolve_config
from kanibako_runtime import ContainerSpec, Mount

if TYPE_CHECKING:
    from kanibako.session.egress.proxy import EgressProxy

Mode = Literal["allowlist", "open", "none"]
FORWARD_PORT = 3128
CONTAINER_DIR = "/run/kanibako-egress"
CONTAINER_SOCKET_DIR = f"{CONTAINER_DIR}/sock"
SOCKET_NAME = "egress.sock"
CONTAINER_SOCKET = f"{CONTAINER_SOCKET_DIR}/{SOCKET_NAME}"
CONTAINER_BUNDLE = f"{CONTAINER_DIR}/kanibako.pyz"
NO_PYTHON = "kanibako: this image has no python3: the session has no network at all"
# Runs before the agent: the forwarder when python3 is there, else one line and
# the agent with no way out (the container has no network either way).
_WRAPPER = (
    'if command -v python3 >/dev/null 2>&1; then exec python3 "$0" net forward '
    f'--port {FORWARD_PORT} --socket {CONTAINER_SOCKET} -- "$@"; fi; '
    f'echo "{NO_PYTHON}" >&2; exec "$@"'
)


@dataclass(frozen=True)
class ContainerAdditions:
    """What one container's spec gets: add the mounts and env, set ``network``, wrap argv."""

    mounts: tuple[Mount, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    network: str | None = None
    forwarder: bool = False

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` behind the forwarder (unchanged when there is none)."""
        if not self.forwarder:
            return list(argv)
        return ["/bin/sh", "-c", _WRAPPER, CONTAINER_BUNDLE, *argv]

    def apply(self, spec: ContainerSpec) -> ContainerSpec:
        """``spec`` with these additions (our proxy variables win over the user's)."""
        if not self.forwarder:
            return spec if self.network is None else replace(spec, network=self.network)
        argv = self.wrap([spec.entrypoint or "/bin/sh", *spec.command])
        return replace(
            spec,
            mounts=(*spec.mounts, *self.mounts),
            env={**spec.env, **self.env},
            network=self.network,
            entrypoint=argv[0],
            command=tuple(argv[1:]),
        )


def proxy_env() -> dict[str, str]:
    """The variables that send curl, git, pip, npm and Node through the forwarder."""
    url = f"http://127.0.0.1:{FORWARD_PORT}"
    no_proxy = "localhost,127.0.0.1,::1"
    return {
        "HTTPS_PROXY": url,
        "HTTP_PROXY": url,
        "https_proxy": url,
        "http_proxy": url,
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
        # Node's fetch ignores the variables above unless told (Node >= 22.14).
        "NODE_USE_ENV_PROXY": "1",
    }


def network_mode(paths: KanibakoPaths, project: Project) -> Mode:
    """The effective ``network`` key (project > global > allowlist)."""
    return _mode(resolve_config(paths, project).values.get("network_mode", "allowlist"))


def _mode(value: str) -> Mode:
    # Anything but the two opt-outs is the closed default: a typo never opens the box.
    return value if value in ("open", "none") else "allowlist"  # type: ignore[return-value]


def target_network_hosts(paths: KanibakoPaths, project: Project) -> tuple[str, list[str]]:
    """The project's target and the hosts its agent needs (none when it declares none)."""
    from kanibako.session.agent import load_agent_context

    target = load_agent_context(paths, project).target
    hosts: list[str] = list(getattr(target, "network_hosts", list)())
    return target.name, hosts


def log_path(project: Project) -> Path:
    from kanibako.session.egress.decision_log import LOG_NAME

    return project.metadata_dir / LOG_NAME


def policy_files(paths: KanibakoPaths, project: Project) -> list[tuple[str, Path]]:
    return [("project", project.project_config_file), ("global", paths.config_file)]


@dataclass
class EgressSession:
    """One session's egress: the mode, and in allowlist mode the proxy.

    With ``start_proxy`` the proxy itself (asyncio and its modules: 30-40 ms)
    starts in :meth:`serve`, which the launch calls once the container's engine
    client runs: until then each socket is bound and listening already, so a
    connection waits in its backlog, never refused.
    """

    mode: Mode
    socket_dir: Path | None = None
    bundle: Path | None = None
    proxy: EgressProxy | None = None
    echo: Callable[[str], None] = print
    start_proxy: Callable[[], EgressProxy] | None = None
    _listening: set[int] = field(default_factory=set)
    _prebound: dict[int, tuple[socket.socket, Path]] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def serve(self) -> None:
        """Start the proxy and hand it the sockets bound so far (idempotent)."""
        with self._guard:
            if self.proxy is not None or self.start_proxy is None:
                return
            self.proxy = self.start_proxy()
            for number, (listener, path) in self._prebound.items():
                self.proxy.adopt(listener, path, number)
            self._prebound.clear()

    def director(self) -> ContainerAdditions:
        """The director container's additions (its requests are logged as helper 0)."""
        return self.helper(0)

    def helper(self, number: int) -> ContainerAdditions:
        """Helper ``number``'s additions; starts serving its socket on first use."""
        if self.mode == "open":
            return ContainerAdditions()
        serving = self.proxy is not None or self.start_proxy is not None
        if not serving or self.socket_dir is None or self.bundle is None:
            return ContainerAdditions(network="none")
        from kanibako_helpers.session_dir import bind_listener, private_subdir

        if number:  # a helper: spawned through the hub, so the session runs; serve now
            self.serve()
        host_dir = private_subdir(self.socket_dir, f"e{number}")
        with self._guard:
            if number not in self._listening:
                if self.proxy is None:
                    path = host_dir / SOCKET_NAME
                    self._prebound[number] = (bind_listener(path), path)
                else:
                    self.proxy.listen(host_dir / SOCKET_NAME, number)
                self._listening.add(number)
        mounts = (
            Mount(host_dir, CONTAINER_SOCKET_DIR, read_only=True),
            Mount(self.bundle, CONTAINER_BUNDLE, read_only=True),
        )
        return ContainerAdditions(mounts, proxy_env(), "none", forwarder=True)

    def release(self, number: int) -> None:
        """Helper ``number`` stopped: close its socket (a restart listens anew)."""
        with self._guard:
            if number not in self._listening:
                return
            self._listening.discard(number)
            if self.proxy is not None:
                self.proxy.unlisten(number)
            elif number in self._prebound:
                _close_bound(*self._prebound.pop(number))

    def close(self) -> None:
        """Stop the proxy, write the log, and name what was denied (one stderr line)."""
        if self.proxy is None:
            for listener, path in self._prebound.values():
                _close_bound(listener, path)
            self._prebound.clear()
            return
        proxy, self.proxy = self.proxy, None
        proxy.stop()
        proxy.log.close()
        denied = proxy.log.denied_this_session()
        if denied:
            self.echo(
                f"egress denied this session: {', '.join(safe_line(d) for d in denied)} "
                f"(`kanibako net log`; `kanibako net allow DEST` to allow)"
            )


def start_egress(
    paths: KanibakoPaths,
    project: Project,
    echo: Callable[[str], None],
    *,
    mode: str | None = None,
    target: tuple[str, list[str]] | None = None,
) -> EgressSession:
    """The session's egress, its proxy started when the mode is ``allowlist``.

    ``mode`` and ``target`` (its name and hosts) are what the launch resolved
    already; when absent they are looked up. Fails (raises) rather than start a
    session with a more open network than asked.
    """
    mode = _mode(mode) if mode is not None else network_mode(paths, project)
    if mode != "allowlist":
        return EgressSession(mode, echo=echo)
    from platformdirs import user_cache_dir

    from kanibako.self_bundle import ensure_bundle
    from kanibako.session.egress.policy import Policy, builtin_rules
    from kanibako_helpers.session_dir import session_dir

    name, hosts = target or target_network_hosts(paths, project)
    # Read now: a bad rule fails the launch before anything starts.
    policy = Policy(builtin_rules(name, hosts), policy_files(paths, project))
    bundle = ensure_bundle(Path(user_cache_dir("kanibako")) / "bundle")

    def start_proxy() -> EgressProxy:
        from kanibako.session.egress.decision_log import DecisionLog
        from kanibako.session.egress.proxy import EgressProxy

        return EgressProxy(policy, DecisionLog(log_path(project))).start()

    return EgressSession(
        mode, session_dir(project.project_hash), bundle=bundle, echo=echo, start_proxy=start_proxy
    )


def _close_bound(listener: socket.socket, path: Path) -> None:
    listener.close()
    path.unlink(missing_ok=True)
