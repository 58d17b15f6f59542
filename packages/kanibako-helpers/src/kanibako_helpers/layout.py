"""The helpers' directory tree on the host, and how it appears inside containers.

```
helpers/                      (host: <project shell>/helpers, director: ~/helpers)
  {n}/workspace/ vault/share-ro/ vault/share-rw/ playbook/scripts/ peers/
  {n}/all -> ../all           broadcast channel
  {n}/spawn.toml              public budget (the helper's copy adds its token, read-only)
  {n}/state.json              status, model, depth, peers
  all/ro/ all/rw/             broadcast channels (ro: written by the director)
  channels/{a}-{b}/           three channels per sibling pair a < b:
      to-{a}/  written by b, read by a     to-{b}/  the reverse     shared/  both
```

Helpers are untrusted and can write into parts of this tree, so every path the
host creates or removes is checked for symlinks first.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w

from kanibako_helpers.atomic import write_atomic
from kanibako_helpers.budget import SpawnBudget
from kanibako_helpers.errors import HelperError
from kanibako_helpers.regular_file import read_regular_file
from kanibako_helpers.spawn import BindMount

CONTAINER_HOME = "/home/agent"
CONTAINER_HELPERS = f"{CONTAINER_HOME}/helpers"
CONTAINER_KANIBAKO_DIR = f"{CONTAINER_HOME}/.kanibako"
CONTAINER_SOCKET = f"{CONTAINER_KANIBAKO_DIR}/helper.sock"
CONTAINER_LOG = f"{CONTAINER_KANIBAKO_DIR}/helper-messages.jsonl"
CONTAINER_CLI = f"{CONTAINER_HOME}/.local/bin/kanibako"
CONTAINER_WORKSPACE = f"{CONTAINER_HOME}/workspace"
INIT_SCRIPT_NAME = "helper-init.sh"
STARTUP_DIR = "all/ro/startup"

_COMMON_DIRS = ("all", "all/ro", "all/ro/startup", "all/rw", "channels")
STATE_MAX_BYTES = 64 * 1024
"""A state.json is a few hundred bytes; anything past this is not one."""
_HELPER_NAME = re.compile(r"0|[1-9][0-9]{0,17}", re.ASCII)

_HELPER_SUBDIRS = ("workspace", "vault/share-ro", "vault/share-rw", "playbook/scripts", "peers")


def helper_number(name: str) -> int | None:
    """The helper number a directory name stands for, or None when it is not one.

    Only plain ASCII decimal numbers without leading zeros count: ``str.isdigit``
    accepts ``²`` (and ``int`` then raises), and ``01`` would name helper 1's tree twice.
    """
    return int(name) if _HELPER_NAME.fullmatch(name) else None


def pair_name(a: int, b: int) -> str:
    """The channel directory name of a sibling pair (smaller number first)."""
    low, high = sorted((a, b))
    return f"{low}-{high}"


class HelperTree:
    """The host side of ``~/helpers``: creates, describes and removes helper trees."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def helper_dir(self, number: int) -> Path:
        """The root of helper ``number``'s tree."""
        return self.root / str(number)

    def state_file(self, number: int) -> Path:
        return self.helper_dir(number) / "state.json"

    def channel_dir(self, a: int, b: int) -> Path:
        return self.root / "channels" / pair_name(a, b)

    def init_script(self, number: int) -> Path:
        return self.helper_dir(number) / "playbook" / "scripts" / INIT_SCRIPT_NAME

    # -- safety -----------------------------------------------------------
    def _checked(self, path: Path) -> Path:
        """``path`` itself, after proving no existing component below the root is a symlink."""
        relative = path.relative_to(self.root)
        current = self.root
        if current.is_symlink():
            raise HelperError(f"refusing to use {current}: it is a symlink")
        for part in relative.parts:
            current = current / part
            if current.is_symlink():
                raise HelperError(f"refusing to use {current}: it is a symlink")
        return path

    def _mkdir(self, path: Path) -> None:
        self._checked(path)
        path.mkdir(parents=True, exist_ok=True)
        self._checked(path)

    # -- creation ---------------------------------------------------------
    def ensure_common(self) -> list[str]:
        """The shared part of the tree: ``all/ro``, ``all/rw`` and ``channels``.

        The director can write ``~/helpers`` between sessions: a symlink or a
        file planted where one of these directories belongs is moved aside
        (renamed, never followed) so it cannot stop the next launch. Returns
        one line per thing moved, for the caller to show.
        """
        moved: list[str] = []
        for path in (self.root, *(self.root / sub for sub in _COMMON_DIRS)):
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                aside = path.with_name(f"{path.name}.planted-{secrets.token_hex(4)}")
                path.rename(aside)
                moved.append(f"{path} was not a directory Kanibako made: moved to {aside.name}")
            if path == self.root:
                path.mkdir(parents=True, exist_ok=True)
            else:
                self._mkdir(path)
        return moved

    def create_helper(  # noqa: PLR0917 - one call site, each value named there
        self,
        number: int,
        parent: int,
        budget: SpawnBudget,
        model: str | None,
        siblings: Iterable[int],
        init_script: bytes,
    ) -> list[int]:
        """Create (or refresh) helper ``number``'s tree; returns the sibling peers linked."""
        self.ensure_common()
        base = self.helper_dir(number)
        for sub in _HELPER_SUBDIRS:
            self._mkdir(base / sub)
        self._symlink(base / "all", "../all")
        peers = sorted(set(siblings) - {number})
        for peer in peers:
            self.create_channel(number, peer)
        script = self._checked(self.init_script(number))
        write_atomic(script, init_script, mode=0o755)
        public: dict[str, int | str] = {"helper": number, "parent": parent}
        public |= {"depth": budget.depth, "breadth": budget.breadth, "model": model or ""}
        write_atomic(self._checked(base / "spawn.toml"), tomli_w.dumps(public).encode(), 0o444)
        return peers

    def create_channel(self, a: int, b: int) -> None:
        """The three channels of pair (a, b) and each side's ``peers/`` link to them."""
        pair = self.channel_dir(a, b)
        low, high = sorted((a, b))
        for sub in (f"to-{low}", f"to-{high}", "shared"):
            self._mkdir(pair / sub)
        for me, other in ((a, b), (b, a)):
            peers = self.helper_dir(me) / "peers"
            if peers.is_dir() and not peers.is_symlink():
                self._symlink(peers / str(other), f"../../channels/{pair.name}")

    def _symlink(self, link: Path, target: str) -> None:
        self._checked(link.parent)
        if link.is_symlink() and str(link.readlink()) == target:
            return
        if link.is_symlink() or link.exists():
            raise HelperError(f"refusing to replace {link}: something else is there")
        link.symlink_to(target)

    def write_state(self, number: int, state: Mapping[str, Any]) -> None:
        """Replace helper ``number``'s state.json (atomically).

        Not fsynced: it is the helper's view only (the hub's registry is the
        record), and a session ending with 32 helpers must not wait on 32 syncs.
        """
        data = json.dumps(dict(state), indent=2, sort_keys=True).encode() + b"\n"
        write_atomic(self._checked(self.state_file(number)), data, durable=False)

    def read_state(self, number: int) -> dict[str, Any] | None:
        """Helper ``number``'s state.json, or None when missing, unreadable or not a state.

        The helper can write this file, so it is read only when it is a
        regular file of at most ``STATE_MAX_BYTES`` (a FIFO never hangs the
        reader, a huge sparse file costs nothing), and the host never decides
        anything from it: which helpers exist comes from the hub's registry.
        """
        path = self.state_file(number)
        try:
            loaded = json.loads(read_regular_file(self._checked(path), STATE_MAX_BYTES))
        except (OSError, ValueError, RecursionError, HelperError):
            return None
        return loaded if isinstance(loaded, dict) else None

    def existing_helpers(self) -> list[int]:
        """Numbers of helper trees present on disk."""
        if not self.root.is_dir():
            return []
        found = [
            int(entry.name)
            for entry in self.root.iterdir()
            if helper_number(entry.name) is not None and entry.is_dir() and not entry.is_symlink()
        ]
        return sorted(found)

    def remove_helper(
        self, number: int, remove_tree: Callable[[Path], None] = shutil.rmtree
    ) -> None:
        """Delete helper ``number``'s tree and every channel it is part of."""
        channels = self.root / "channels"
        if channels.is_dir() and not channels.is_symlink():
            for pair in channels.iterdir():
                sides = [helper_number(side) for side in pair.name.split("-")]
                if len(sides) != 2 or number not in sides or pair.is_symlink():
                    continue  # not a channel of this helper the host made
                other = sides[1] if sides[0] == number else sides[0]
                if other is None:
                    continue
                remove_tree(self._checked(pair))
                link = self.helper_dir(other) / "peers" / str(number)
                if link.is_symlink():
                    link.unlink()
        target = self.helper_dir(number)
        if target.is_symlink():
            target.unlink()
        elif target.exists():
            # rmtree never follows symlinks inside the tree.
            remove_tree(self._checked(target))

    # -- the container's view ----------------------------------------------
    def mounts_for(self, number: int, peers: Iterable[int]) -> list[BindMount]:
        """What helper ``number``'s container sees of the tree: its own part only."""
        base = self.helper_dir(number)
        inside = f"{CONTAINER_HELPERS}/{number}"
        mounts = [
            BindMount(base, inside),
            BindMount(base / "workspace", CONTAINER_WORKSPACE),
            BindMount(base / "vault" / "share-ro", f"{inside}/vault/share-ro", read_only=True),
            BindMount(self.root / "all" / "ro", f"{CONTAINER_HELPERS}/all/ro", read_only=True),
            BindMount(self.root / "all" / "rw", f"{CONTAINER_HELPERS}/all/rw"),
        ]
        for peer in sorted(set(peers)):
            pair = self.channel_dir(number, peer)
            at = f"{CONTAINER_HELPERS}/channels/{pair.name}"
            mounts += [
                BindMount(pair / f"to-{number}", f"{at}/to-{number}", read_only=True),
                BindMount(pair / f"to-{peer}", f"{at}/to-{peer}"),
                BindMount(pair / "shared", f"{at}/shared"),
            ]
        return mounts
