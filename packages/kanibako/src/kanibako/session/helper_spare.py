"""A spare helper clone per project, made off the critical path and claimed by one rename.

A new clone's cost is its checkout (20,000 files: seconds on a busy disk).
After a spawn, the session prepares the next one in the background:

```
{shell}/helpers/.spare-building-XXXX/   git clone --local, objects unshared, checkout (nice)
{shell}/helpers/.spare/workspace/       ready: detached at the commit in .spare/at
{shell}/helpers/N/workspace/            claimed by rename, then moved to the spawn's
                                        start commit (fetch, and a checkout that
                                        rewrites only the files that differ)
```

Only the host writes under ``helpers/`` (the director sees it read-only, a
helper only its own tree), and a claim is a ``rename`` of ``.spare``: two
spawns cannot both take it. A spare can be days old: claiming it still
writes only what changed since. Leftovers of a session that died while
building or claiming are removed at the next refill.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from kanibako.session.helper_git import PARALLEL_CHECKOUT, git, quiet_git_env
from kanibako.session.helper_objects import unshare_loose_files

SPARE = ".spare"
_BUILDING = ".spare-building-"
_CLAIMED = ".spare-claimed-"
_COMMIT = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
# Below the session's own work: the spare is for later, the running agents are now.
_NICE = ("nice", "-n", "10")


def claim_spare(workspace: Path) -> str | None:
    """Move a ready spare into ``workspace`` (missing or an empty directory).

    Returns the commit it is checked out at, or None when there is no spare
    (the caller clones afresh).
    """
    root = workspace.parent.parent
    claimed = root / f"{_CLAIMED}{os.getpid()}-{os.urandom(4).hex()}"
    try:
        (root / SPARE).rename(claimed)
    except OSError:
        return None  # none ready (or another spawn took it first)
    try:
        commit = (claimed / "at").read_text(encoding="ascii").strip()
        if not _COMMIT.fullmatch(commit):
            return None
        (claimed / "workspace").rename(workspace)  # onto an empty directory: allowed
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        shutil.rmtree(claimed, ignore_errors=True)
    return commit


class SpareRefill:
    """Builds the next spare of the repository at ``repo`` in ``root`` (a helpers tree)."""

    def __init__(self, repo: Path, root: Path) -> None:
        self.repo = repo
        self.root = root
        self._guard = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._abandoned = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin in the background (nothing when a spare is ready already)."""
        if (self.root / SPARE).exists():
            return
        self._thread = threading.Thread(target=self._build, name="kanibako-spare", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def abandon(self) -> None:
        """Stop building (the session is ending); what was built is removed."""
        with self._guard:
            self._abandoned = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        self.wait()

    def _run(self, args: list[str], cwd: Path | None = None) -> bool:
        with self._guard:
            if self._abandoned:
                return False
            self._process = subprocess.Popen(
                [*_NICE, *args],
                cwd=cwd,
                env=quiet_git_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        return self._process.wait() == 0

    def _build(self) -> None:
        remove_leftovers(self.root)
        build = self.root / f"{_BUILDING}{os.getpid()}-{os.urandom(4).hex()}"
        try:
            build.mkdir()
            staged = build / "workspace"
            clone = ["git", "clone", "--quiet", "--local", "--no-checkout", "--template="]
            if not self._run([*clone, "--", str(self.repo), str(staged)]):
                return
            head = _head(staged)
            if head is None:
                return  # a repository without commits: nothing to check out ahead
            unshare_loose_files(staged / ".git" / "objects")
            if not self._run([*PARALLEL_CHECKOUT, "checkout", "-q", "-f", head], cwd=staged):
                return
            (build / "at").write_text(head + "\n", encoding="ascii")
            build.rename(self.root / SPARE)
        except OSError:
            return  # a full disk, a spare that appeared meanwhile: the next spawn clones
        finally:
            shutil.rmtree(build, ignore_errors=True)


def _head(clone: Path) -> str | None:
    done = git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=clone, check=False)
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and _COMMIT.fullmatch(commit) else None


def remove_leftovers(root: Path) -> None:
    """Remove half-built and half-claimed spares a dead session left in ``root``."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    mine = (f"{_BUILDING}{os.getpid()}-", f"{_CLAIMED}{os.getpid()}-")
    for entry in entries:
        # This process's own are in use (a spawn claiming while the next spare builds).
        if entry.name.startswith((_BUILDING, _CLAIMED)) and not entry.name.startswith(mine):
            shutil.rmtree(entry, ignore_errors=True)
