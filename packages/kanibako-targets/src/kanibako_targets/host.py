"""The host facts a target looks at: the home, the command search path, npm's prefix.

Every fact a target's ``detect()`` uses comes from a ``HostEnvironment``, never
from the running process directly: a test (or a caller) that hands in a host
with an empty PATH and a fresh home gets "no agent on this host", even on a
machine where the agent is installed the usual way.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kanibako_targets.errors import FileRefusedError
from kanibako_targets.safe_files import read_host_file

# npm reads its prefix from this variable first (any case), then from the
# user's ~/.npmrc, else it installs beside the node binary that runs it.
_NPM_PREFIX_VARIABLES = ("NPM_CONFIG_PREFIX", "npm_config_prefix")


@dataclass(frozen=True)
class HostEnvironment:
    """Where a target looks for its agent and credentials on the host.

    ``npm_prefix`` is npm's global prefix (``npm install -g`` puts commands in
    ``{npm_prefix}/bin``), None when unknown. ``environ`` holds the host's
    environment variables; it is None for a host made up by a test, which then
    has no network services either: a target must not reach the real world
    (say, a token issuer) on behalf of a host that has no environment.
    """

    home: Path
    path: str = ""
    npm_prefix: Path | None = None
    environ: Mapping[str, str] | None = None

    @classmethod
    def current(cls, environ: Mapping[str, str] | None = None) -> HostEnvironment:
        """The running process's home, PATH and npm prefix (or those of ``environ``)."""
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("HOME") or str(Path.home()))
        path = env.get("PATH", os.defpath)
        return cls(
            home=home,
            path=path,
            npm_prefix=npm_global_prefix(env, home, path),
            environ=MappingProxyType(env),
        )

    def search_path(self) -> list[Path]:
        """The PATH entries, in order, skipping empty ones."""
        return [Path(entry) for entry in self.path.split(os.pathsep) if entry]


def _npmrc_prefix(home: Path) -> str | None:
    try:
        data = read_host_file(home / ".npmrc")
    except FileRefusedError:  # a link, a FIFO, a directory: not followed, not waited on
        return None
    if data is None:
        return None
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "prefix" and value.strip():
            return value.strip()
    return None


def npm_global_prefix(env: Mapping[str, str], home: Path, path: str) -> Path | None:
    """npm's global prefix as npm itself would choose it, without running npm.

    Running ``npm prefix -g`` costs a Node start-up on every launch; the rule
    is short enough to follow here: the environment, then ``~/.npmrc``, then
    the directory above the ``bin`` that holds the ``node`` found on ``path``.
    ``~/.npmrc`` is read by this package's one reader, so a link there is not
    followed (npm would follow it) and a FIFO does not hang the launch.
    """
    for variable in _NPM_PREFIX_VARIABLES:
        if env.get(variable):
            return Path(env[variable]).expanduser()
    configured = _npmrc_prefix(home)
    if configured is not None:
        # "~" means the host's home, which need not be this process's $HOME.
        return home / configured[2:] if configured.startswith("~/") else Path(configured)
    node = shutil.which("node", path=path)
    if node is None:
        return None
    try:
        return Path(node).resolve().parent.parent
    except OSError:
        return None
