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

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kanibako_helpers import (
    CONTAINER_CLI,
    CONTAINER_HELPERS,
    CONTAINER_LOG,
    BindMount,
    HelperTree,
    HubConfig,
    HubRunner,
    SpawnBudget,
    Spawner,
)
from kanibako_helpers.layout import CONTAINER_KANIBAKO_DIR
from kanibako_helpers.session_dir import HUB_DIR, SOCKET_NAME, private_subdir, session_dir
from kanibako_paths import KanibakoPaths, Project
from kanibako_runtime import Mount

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
    """What the director's container needs to reach the hub, and the running hub."""

    mounts: list[Mount]
    env: dict[str, str]
    locations: SessionLocations
    runner: HubRunner


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
) -> Iterator[HubHandle]:
    """Run the hub for the length of the ``with`` block; it stops within milliseconds after."""
    from kanibako.self_bundle import cli_targets, ensure_bundle
    from kanibako.stub_removal import remove_tree

    where = session_locations(paths, project)
    bundle = ensure_bundle(_bundle_cache())
    config = HubConfig(
        socket_path=where.socket_path,
        log_path=where.log_path,
        tree=HelperTree(where.helpers_root),
        token_dir=where.token_dir,
        director_config=where.director_token_file,
        root_budget=budget or SpawnBudget(),
        container_prefix=f"kanibako-helper-{project.project_hash[:8]}",
        init_script=init_script(),
        common_mounts=tuple(
            BindMount(bundle, target, read_only=True) for target in cli_targets(CONTAINER_CLI)
        ),
        homes_root=project.metadata_dir / "helper-homes",
        remove_tree=remove_tree,
    )
    runner = HubRunner(config, spawner).start()
    try:
        # ensure_common makes the root itself and moves aside whatever the box
        # planted there (a link, a file); the user hears what was moved.
        for moved in config.tree.ensure_common():
            print(moved, file=sys.stderr)
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
        yield HubHandle(mounts=mounts, env=env, locations=where, runner=runner)
    finally:
        runner.stop()
        # The tokens die with the session: a later session issues new ones.
        for token_file in where.token_dir.glob("*.toml"):
            token_file.unlink(missing_ok=True)
        where.director_token_file.unlink(missing_ok=True)
