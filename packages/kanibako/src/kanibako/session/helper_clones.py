"""Each helper of a git workspace works in its own clone: created at spawn, protected in the box.

```
user's repo (the director's workspace)          helper N's tree
  refs/kanibako/helpers/N/start  ── clone ──►   ~/helpers/N/workspace   branch kanibako/helper-N
  (the director's tree when N was spawned)        .git/config .git/hooks .git/info
                                                  .git/objects/pack  read-only inside
```

The clone is ``git clone --local`` (packs hardlinked and read-only in the
container, so a large history costs little and stays the user's; see
helper_objects), not a linked worktree, which would share the user's hooks
and config. Its ``.git/config`` is Kanibako's own, rewritten before every start
(``core.hooksPath=/dev/null``, no remote), and mounted read-only together
with an empty ``hooks`` and ``info``. Untracked files the helpers need come
from the project's ``[helper] copy`` list (``helper_copy``).
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from kanibako.session.helper_git import (
    PARALLEL_CHECKOUT,
    CloneError,
    CloneFailure,
    director_start_commit,
    git,
    identity_of,
    quiet_git_env,
    repository_root,
)
from kanibako.session.helper_objects import (
    move_objects_in,
    protected_pack_dir,
    unshare_loose_files,
)
from kanibako.session.helper_spare import SpareRefill, claim_spare
from kanibako_helpers.layout import CONTAINER_WORKSPACE
from kanibako_runtime import Mount

BRANCH_PREFIX = "kanibako/helper-"
REF_PREFIX = "refs/kanibako/helpers"
_PROTECTED = ("config", "hooks", "info")
CHECKOUT_PENDING = ".checkout-pending"  # in the helper's dir, beside its workspace
_COPY_LIMIT = 64 * 1024 * 1024  # one helper_copy file; a planted huge file is left out


def helper_ref(number: int, name: str) -> str:
    """The user's repo's ref ``name`` (start, head, work) of helper ``number``."""
    return f"{REF_PREFIX}/{number}/{name}"


def parse_helper_copy(table: dict[str, Any], source: Path) -> tuple[str, ...]:
    """``[helper] copy`` of a project.toml: relative paths inside the workspace (exit 2 otherwise)."""
    from kanibako_paths import ConfigError
    from kanibako_paths.tomlfile import table_at

    value = table_at(table, "helper", source).get("copy", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: [helper] copy must be a list of paths")
    for entry in value:
        path = PurePosixPath(entry)
        if not entry or path.is_absolute() or ".." in path.parts or path.parts[:1] == (".git",):
            raise ConfigError(
                f"{source}: [helper] copy: {entry!r} is not a path inside the workspace"
            )
    return tuple(value)


@dataclass
class PendingClone:
    """A clone still being made in the background (:meth:`HelperClones.begin`)."""

    repo: Path
    workspace: Path
    mounts: list[Mount]
    marker: Path
    copy: tuple[str, ...]
    worker: threading.Thread | None = None
    failure: list[CloneError] = field(default_factory=list)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _process: subprocess.Popen[bytes] | None = None
    _abandoned: bool = False

    def run(self, what: str, args: list[str], cwd: Path | None = None) -> None:
        """Run step ``what`` of the background work (stopped by :meth:`abandon`)."""
        with self._guard:
            if self._abandoned:
                raise CloneFailure("the spawn was abandoned")
            self._process = subprocess.Popen(
                args,
                cwd=cwd,
                env=quiet_git_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        _, errors = self._process.communicate()
        if self._process.returncode != 0:
            reason = (errors.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
            raise CloneFailure(f"{what} in {self.workspace} failed: {reason}")

    def finish(self) -> None:
        """Wait for the clone, copy ``helper_copy`` files, let helper-init.sh go on."""
        if self.worker is not None:
            self.worker.join()
            self.worker = None
            if self.failure:
                raise self.failure[0]
            for entry in self.copy:
                _copy_untracked(self.repo, self.workspace, entry)
        self.marker.unlink(missing_ok=True)

    def abandon(self) -> None:
        """The container did not start: stop the background work."""
        with self._guard:
            self._abandoned = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        if self.worker is not None:
            self.worker.join()
            self.worker = None


@dataclass(frozen=True)
class HelperClones:
    """Makes and protects helper clones of the git repository at ``repo``."""

    repo: Path
    copy: tuple[str, ...] = ()

    @classmethod
    def for_workspace(cls, workspace: Path, project_config: Path) -> HelperClones | None:
        """Clones for a git workspace (None: not a git repository, helpers share ``~/helpers/N``)."""
        from kanibako_paths import read_toml

        root = repository_root(workspace)
        if root is None:
            return None
        return cls(root, parse_helper_copy(read_toml(project_config), project_config))

    def prepare(self, number: int, workspace: Path) -> list[Mount]:
        """Helper ``number``'s clone in ``workspace`` (made once) and its read-only mounts."""
        pending = self.begin(number, workspace)
        pending.finish()
        return pending.mounts

    def begin(self, number: int, workspace: Path) -> PendingClone:
        """Start making helper ``number``'s clone: its protected files now, the rest in the background.

        ``.git`` with Kanibako's config and empty ``hooks`` and ``info`` (the
        container's mount sources) exists when this returns; the director's
        tree as a commit, the hardlinked objects and the checkout are made
        while the caller starts the container, then :meth:`PendingClone.finish`
        waits for them. Until then ``<helper dir>/.checkout-pending`` exists
        and helper-init.sh runs nothing.
        """
        git_dir = workspace / ".git"
        marker = workspace.parent / CHECKOUT_PENDING
        fresh = not git_dir.is_dir() or git_dir.is_symlink()
        spare_at = None
        if fresh:
            if workspace.is_symlink() or (workspace.exists() and any(workspace.iterdir())):
                raise CloneError(
                    f"helper {number}'s workspace {workspace} is not empty; not cloning"
                )
            spare_at = claim_spare(workspace)
            if spare_at is None:
                git(["init", "--quiet", "--template=", str(workspace)])
        self._write_config(number, git_dir)
        for name in ("hooks", "info"):
            _fresh_empty_dir(git_dir / name)
        mounts = [
            Mount(git_dir / name, f"{CONTAINER_WORKSPACE}/.git/{name}", read_only=True)
            for name in _PROTECTED
        ]
        # The packs are hardlinked from the user's repository (see helper_objects).
        pack = protected_pack_dir(git_dir)
        mounts.append(Mount(pack, f"{CONTAINER_WORKSPACE}/.git/objects/pack", read_only=True))
        pending = PendingClone(self.repo, workspace, mounts, marker, self.copy if fresh else ())
        if fresh:
            marker.touch()
            pending.worker = threading.Thread(
                target=self._populate if spare_at is None else self._move_spare,
                args=(number, pending) if spare_at is None else (number, pending, spare_at),
            )
            pending.worker.start()
        return pending

    def _populate(self, number: int, pending: PendingClone) -> None:
        """The background part of a new clone; a failure is kept for ``finish``."""
        try:
            start = director_start_commit(self.repo)
            # The ref records where the helper started and keeps a temporary commit from gc.
            git(["update-ref", helper_ref(number, "start"), start], cwd=self.repo)
            git_dir = pending.workspace / ".git"
            # Cloned beside, then its objects and refs moved in: the config and the
            # mount sources already in place are never replaced.
            with tempfile.TemporaryDirectory(prefix=".clone-", dir=pending.workspace.parent) as tmp:
                staged = Path(tmp) / "clone"
                clone = ["git", "clone", "--quiet", "--local", "--no-checkout", "--template="]
                pending.run("git clone", [*clone, "--", str(self.repo), str(staged)])
                unshare_loose_files(staged / ".git" / "objects")
                move_objects_in(staged / ".git" / "objects", git_dir / "objects")
                for name in ("refs", "packed-refs", "shallow"):
                    if (staged / ".git" / name).exists():
                        _remove_if_present(git_dir / name)
                        (staged / ".git" / name).rename(git_dir / name)
            branch = f"{BRANCH_PREFIX}{number}"
            checkout = [*PARALLEL_CHECKOUT, "checkout", "--quiet", "-b", branch, start]
            pending.run("git checkout", checkout, cwd=pending.workspace)
        except CloneError as exc:
            pending.failure.append(exc)
        except OSError as exc:
            pending.failure.append(CloneFailure(f"making {pending.workspace}: {exc}"))

    def _move_spare(self, number: int, pending: PendingClone, spare_at: str) -> None:
        """The background part of a claimed spare: bring it to the director's tree."""
        try:
            start = director_start_commit(self.repo)
            git(["update-ref", helper_ref(number, "start"), start], cwd=self.repo)
            have = git(
                ["cat-file", "-e", f"{start}^{{commit}}"], cwd=pending.workspace, check=False
            )
            if have.returncode != 0:
                # Commits made since the spare was cloned (or the temporary one).
                fetch = ["git", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head"]
                pending.run("git fetch", [*fetch, "--", str(self.repo), helper_ref(number, "start")],
                            cwd=pending.workspace)  # fmt: skip
            branch = f"{BRANCH_PREFIX}{number}"
            # From a clean checkout of spare_at: only the files that differ are written.
            checkout = [*PARALLEL_CHECKOUT, "checkout", "--quiet", "-f", "-B", branch, start]
            pending.run("git checkout", checkout, cwd=pending.workspace)
        except CloneError as exc:
            pending.failure.append(exc)
        except OSError as exc:
            pending.failure.append(CloneFailure(f"making {pending.workspace}: {exc}"))

    def refill_spare(self, helpers_root: Path) -> SpareRefill:
        """Start preparing the next spawn's clone in the background (see helper_spare)."""
        refill = SpareRefill(self.repo, helpers_root)
        refill.start()
        return refill

    def _write_config(self, number: int, git_dir: Path) -> None:
        """Kanibako's own config for the clone, replacing whatever is there (never followed)."""
        name, email = identity_of(self.repo)
        text = (
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
            "\tlogallrefupdates = true\n\thooksPath = /dev/null\n\tfsmonitor = false\n"
            # Its packs are read-only in the container: a repack there could only fail.
            "[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n"
            f"[user]\n\tname = {_config_value(name or f'kanibako helper {number}')}\n"
            f"\temail = {_config_value(email or f'helper-{number}@kanibako.invalid')}\n"
        )
        if git_dir.is_symlink() or not git_dir.is_dir():
            raise CloneFailure(f"{git_dir} is not a directory; not touching it")
        target = git_dir / "config"
        if target.is_dir() and not target.is_symlink():
            raise CloneFailure(f"{target} is a directory; not touching it")
        staging = git_dir / "config.kanibako-new"
        staging.unlink(missing_ok=True)
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        staging.replace(target)  # replaces a planted link itself, never its target


def _config_value(value: str) -> str:
    """A git config value quoted, with nothing that could open a new line or section."""
    clean = "".join(ch for ch in value if ch.isprintable())
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _remove_if_present(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _fresh_empty_dir(path: Path) -> None:
    """An empty directory at ``path``: what a helper left there (a link, files) is removed."""
    import shutil

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    path.mkdir()


def _copy_untracked(repo: Path, clone: Path, entry: str) -> None:
    """Copy ``entry`` from the user's tree to the clone when it is a regular file (no link followed)."""
    parts = PurePosixPath(entry).parts
    try:
        fd = os.open(repo, os.O_RDONLY | os.O_DIRECTORY)
        for part in parts[:-1]:
            next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        src = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        os.close(fd)
    except OSError:
        return  # missing, or reached through a link: nothing to copy
    with os.fdopen(src, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _COPY_LIMIT:
            return
        data = source.read(_COPY_LIMIT + 1)
    target = clone.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(
        target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, info.st_mode & 0o777
    )
    with os.fdopen(fd, "wb") as out:
        out.write(data[:_COPY_LIMIT])
