"""The helper hub's part of a session: started beside the director, stopped with it.

The launch pipeline enters :func:`hub_session` and adds the yielded mounts and
env to the director's container. On the host, a session's hub is found again
by :func:`session_locations` (``kanibako helper ...`` run outside containers).

```
host                                           director container
<runtime>/kanibako/<hash16>/hub/           ->  ~/.kanibako/hub/               (ro)
    hub.sock, director.toml (its token)          (the same directory every session)
<data>/helper-logs/<hash>.jsonl            ->  ~/.kanibako/helper-messages.jsonl (ro)
<cache>/bundle/kanibako-<content>.pyz      ->  ~/.local/bin/kanibako           (ro)
<shell>/helpers/                           ->  ~/helpers/                      (ro)
<shell>/helpers/all/ro, all/rw             ->  ~/helpers/all/ro, all/rw       (rw: broadcasts)
```

The socket and the director's token are bound as their directory, which is the
project's for every session: the spec stays the same from one session to the
next, and a container started before this session's hub (a warm standby) sees
the socket and token this hub makes. Helpers' tokens stay in ``tokens/``, out
of the director's sight.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kanibako_helpers.budget import SpawnBudget
from kanibako_helpers.layout import (
    CONTAINER_CLI,
    CONTAINER_HELPERS,
    CONTAINER_KANIBAKO_DIR,
    CONTAINER_LOG,
    HelperTree,
)
from kanibako_helpers.session_dir import (
    HUB_DIR,
    SOCKET_NAME,
    bind_listener,
    private_subdir,
    session_dir,
)
from kanibako_helpers.spawn import BindMount, Spawner
from kanibako_paths import KanibakoPaths, Project
from kanibako_runtime import Mount

if TYPE_CHECKING:
    from kanibako_helpers.runner import HubRunner

CONTAINER_HUB_DIR = f"{CONTAINER_KANIBAKO_DIR}/{HUB_DIR}"
DIRECTOR_CONFIG_NAME = "director.toml"
CONTAINER_DIRECTOR_CONFIG = f"{CONTAINER_HUB_DIR}/{DIRECTOR_CONFIG_NAME}"
CONTAINER_DIRECTOR_SOCKET = f"{CONTAINER_HUB_DIR}/{SOCKET_NAME}"


@dataclass(frozen=True)
class SessionLocations:
    """Where one project's helper session lives on the host."""

    socket_path: Path
    token_dir: Path
    log_path: Path
    helpers_root: Path

    @property
    def hub_dir(self) -> Path:
        """The directory the director's container binds: the socket and its token."""
        return self.socket_path.parent

    @property
    def director_token_file(self) -> Path:
        return self.hub_dir / DIRECTOR_CONFIG_NAME


@dataclass(frozen=True)
class HubHandle:
    """What the director's container needs to reach the hub, and the hub once it serves."""

    mounts: list[Mount]
    env: dict[str, str]
    locations: SessionLocations
    serve: Callable[[], None]
    """Start the hub on the bound socket (idempotent; see ``hub_session``)."""
    running: list[HubRunner]

    @property
    def runner(self) -> HubRunner:
        """The serving hub (after ``serve``)."""
        return self.running[0]


def session_locations(
    paths: KanibakoPaths, project: Project, *, find_running: bool = False
) -> SessionLocations:
    """The host paths of ``project``'s helper session (creates the private runtime dir).

    ``find_running`` looks for the socket of a session started with another
    ``$XDG_RUNTIME_DIR`` (or none) before settling on the default place.
    """
    private = session_dir(project.project_hash, find_running=find_running)
    return SessionLocations(
        socket_path=private_subdir(private, HUB_DIR) / SOCKET_NAME,
        token_dir=private / "tokens",
        log_path=helper_log_path(paths, project),
        helpers_root=project.shell_dir / "helpers",
    )


def wait_recorded(paths: KanibakoPaths, project: Project) -> None:
    """Once the project's hub has ended: wait until its helpers are recorded stopped."""
    from kanibako_helpers import registry_path
    from kanibako_helpers.hub import wait_recorded as wait_for_registry

    wait_for_registry(registry_path(helper_log_path(paths, project)))


def helper_log_path(paths: KanibakoPaths, project: Project) -> Path:
    """The project's helper message log (its hub's registry lies beside it)."""
    return paths.data_dir / "helper-logs" / f"{project.project_hash}.jsonl"


def init_script() -> bytes:
    """The bundled helper-init.sh."""
    # Imported here: importlib.resources costs several ms, and only the hub's
    # start (after the container's) reads the script.
    from importlib import resources

    return resources.files("kanibako").joinpath("scripts/helper-init.sh").read_bytes()


def _bundle_cache() -> Path:
    from kanibako.session.image import kanibako_cache_dir

    return kanibako_cache_dir() / "bundle"


@contextmanager
def hub_session(
    paths: KanibakoPaths,
    project: Project,
    spawner: Spawner | None,
    *,
    budget: SpawnBudget | None = None,
    serve_later: bool = False,
) -> Iterator[HubHandle]:
    """Run the hub for the length of the ``with`` block; it stops within milliseconds after.

    ``serve_later``: only what the director's container needs exists when the
    block starts (its token file, the message log, the helpers' tree, the
    socket bound and listening); the hub itself (asyncio, the router: the
    larger part of its cost) starts at ``HubHandle.serve()``, which the launch
    calls once the engine client runs. A request made before waits in the
    socket's backlog.
    """
    from kanibako.self_bundle import cli_targets, ensure_bundle

    where = session_locations(paths, project)
    bundle = ensure_bundle(_bundle_cache())
    root_budget = budget or SpawnBudget()
    token = os.urandom(32).hex()  # secrets.token_hex's own source, without its imports
    _write_director_token(where.director_token_file, root_budget, token)
    where.log_path.parent.mkdir(parents=True, exist_ok=True)
    where.log_path.touch()  # a bind mount's source must exist before the container
    tree = HelperTree(where.helpers_root)
    listener = bind_listener(where.socket_path)
    running: list[HubRunner] = []

    def serve() -> None:
        if running:
            return
        from kanibako.stub_removal import remove_tree
        from kanibako_helpers import HubConfig, HubRunner

        config = HubConfig(
            socket_path=where.socket_path,
            log_path=where.log_path,
            tree=tree,
            token_dir=where.token_dir,
            director_config=where.director_token_file,
            director_token=token,
            root_budget=root_budget,
            container_prefix=f"kanibako-helper-{project.project_hash[:8]}",
            init_script=init_script(),
            common_mounts=tuple(
                BindMount(bundle, target, read_only=True) for target in cli_targets(CONTAINER_CLI)
            ),
            homes_root=project.metadata_dir / "helper-homes",
            remove_tree=remove_tree,
        )
        running.append(HubRunner(config, spawner, listener=listener).start())

    try:
        # ensure_common makes the root itself and moves aside whatever the box
        # planted there (a link, a file); the user hears what was moved.
        for moved in tree.ensure_common():
            print(moved, file=sys.stderr)
        if not serve_later:
            serve()
        mounts = [
            # Read-only: the box cannot plant anything where the next hub binds.
            Mount(where.hub_dir, CONTAINER_HUB_DIR, read_only=True),
            Mount(where.log_path, CONTAINER_LOG, read_only=True),
            *(Mount(bundle, target, read_only=True) for target in cli_targets(CONTAINER_CLI)),
            # The director reads the helpers' trees but writes only the broadcast
            # channels: it cannot swap a link in between the host's check of a
            # helper's directory and the engine's mount of it (issue 12 item 11).
            Mount(where.helpers_root, CONTAINER_HELPERS, read_only=True),
            Mount(where.helpers_root / "all" / "ro", f"{CONTAINER_HELPERS}/all/ro"),
            Mount(where.helpers_root / "all" / "rw", f"{CONTAINER_HELPERS}/all/rw"),
        ]
        env = {
            "KANIBAKO_HELPER": "0",
            "KANIBAKO_HELPER_CONFIG": CONTAINER_DIRECTOR_CONFIG,
            "KANIBAKO_HUB_SOCKET": CONTAINER_DIRECTOR_SOCKET,
            "KANIBAKO_HELPER_LOG": CONTAINER_LOG,
        }
        yield HubHandle(mounts=mounts, env=env, locations=where, serve=serve, running=running)
    finally:
        if running:
            running[0].stop()
        else:  # never served: nobody else closes it
            listener.close()
            where.socket_path.unlink(missing_ok=True)
        # The tokens die with the session: a later session issues new ones.
        for token_file in where.token_dir.glob("*.toml"):
            token_file.unlink(missing_ok=True)
        where.director_token_file.unlink(missing_ok=True)


def _write_director_token(path: Path, budget: SpawnBudget, token: str) -> None:
    """The director's spawn.toml, as the hub writes it (it rewrites the same at start)."""
    from kanibako_helpers.helper_config import HelperConfig, write_helper_config

    config = HelperConfig(
        helper=0, parent=-1, depth=budget.depth, breadth=budget.breadth, model="", token=token
    )
    write_helper_config(path, config)
