"""Git plumbing for helper clones: the director's tree as a commit, a clone, a helper's work.

Two kinds of repository are handled here, and they are trusted differently:

- the user's repository (the director's workspace on the host): the user's own
  config and hooks apply; Kanibako never touches its index, working tree or
  branches, only adds objects and refs under ``refs/kanibako/``;
- a helper's clone: written by an untrusted agent (and the director can reach
  it through ``~/helpers``), so the host never runs a git command there that
  could execute something its config names (fsmonitor, filters, hooks,
  pagers). Its working tree is read through a *reader*: a bare repository in
  a private temporary directory with Kanibako's config, borrowing the clone's
  objects as alternates. Only ``rev-parse`` (which executes nothing) reads
  the clone's own ``.git``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

# Helper commits carry a fixed identity where the user has none configured.
_KANIBAKO_IDENTITY = {
    "GIT_AUTHOR_NAME": "kanibako",
    "GIT_AUTHOR_EMAIL": "kanibako@localhost",
    "GIT_COMMITTER_NAME": "kanibako",
    "GIT_COMMITTER_EMAIL": "kanibako@localhost",
}
MERGE_TREE_VERSION = (2, 38)


class CloneError(Exception):
    """A user mistake about helper clones: one line, exit status 2."""

    exit_code = 2


class CloneFailure(CloneError):
    """Git failed (a runtime failure): one line, exit status 1."""

    exit_code = 1


# Creating files is what a checkout of a big tree waits on: parallel workers
# overlap those waits (measured 10 s -> 3.2 s for 20,000 files on a busy disk).
PARALLEL_CHECKOUT = (
    "git",
    "-c",
    "checkout.workers=8",
    "-c",
    "checkout.thresholdForParallelism=100",
)


def git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run git quietly (no prompt, no pager, C locale); CloneFailure naming the command."""
    full_env = quiet_git_env(env)
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise CloneFailure("git is not installed") from None
    if check and done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise CloneFailure(f"git {args[0]} failed: {reason}")
    return done


def quiet_git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a git we run: no prompt, no pager, C locale, and none of the
    caller's GIT_DIR/GIT_WORK_TREE/GIT_INDEX_FILE (kanibako run from a git hook)."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}
    for name in ("GIT_INDEX_FILE", "GIT_DIR", "GIT_WORK_TREE"):
        env.pop(name, None)
    return env | dict(extra or {})


def git_version() -> tuple[int, int]:
    """The installed git's (major, minor)."""
    words = git(["version"]).stdout.split()
    parts = (words[2] if len(words) > 2 else "0.0").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return 0, 0


def require_merge_tree() -> None:
    """``git merge-tree --write-tree`` exists (git 2.38+), else one clear line."""
    have = git_version()
    if have < MERGE_TREE_VERSION:
        raise CloneFailure(
            f"conflict previews need git 2.38 or newer (git merge-tree --write-tree); "
            f"this is git {have[0]}.{have[1]}"
        )


def repository_root(workspace: Path) -> Path | None:
    """``workspace`` if it is the top of a git working tree, else None."""
    if not (workspace / ".git").exists():
        return None
    done = git(["rev-parse", "--show-toplevel"], cwd=workspace, check=False)
    if done.returncode != 0:
        return None
    top = Path(done.stdout.strip())
    return workspace if top.resolve() == workspace.resolve() else None


def resolve_commit(repo: Path, rev: str, *, git_dir: Path | None = None) -> str | None:
    """The commit ``rev`` names in ``repo`` (or in the bare ``git_dir``), None when it names none."""
    where = ["--git-dir", str(git_dir)] if git_dir is not None else []
    done = git(
        [*where, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=repo, check=False
    )
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def tree_of(repo: Path, commit: str) -> str:
    return git(["rev-parse", f"{commit}^{{tree}}"], cwd=repo).stdout.strip()


def _commit_tree(
    repo: Path, tree: str, parent: str | None, message: str, env: Mapping[str, str]
) -> str:
    parents = ["-p", parent] if parent else []
    done = git(
        ["commit-tree", tree, *parents, "-m", message], cwd=repo, env={**_KANIBAKO_IDENTITY, **env}
    )
    return done.stdout.strip()


def director_start_commit(repo: Path) -> str:
    """A commit of the director's tree as it is now, committed or not; the user's index untouched.

    Uncommitted work is carried by a temporary commit on top of HEAD: the
    user's index is *copied* to a private index file (so git's stat cache
    spares re-reading unchanged files), ``git add -A`` records every change
    and untracked, non-ignored file there, and ``commit-tree`` makes the
    commit. No ref, no index and no file of the user's changes. A clean tree
    is HEAD itself.
    """
    head = resolve_commit(repo, "HEAD")
    index = Path(git(["rev-parse", "--git-path", "index"], cwd=repo).stdout.strip())
    index = index if index.is_absolute() else repo / index
    with tempfile.TemporaryDirectory(prefix="kanibako-start-") as scratch:
        private = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        if index.is_file():
            shutil.copyfile(index, private["GIT_INDEX_FILE"])
        elif head is not None:
            git(["read-tree", head], cwd=repo, env=private)
        if git(["add", "-A"], cwd=repo, env=private, check=False).returncode != 0:
            # A copied index the private file cannot stand for (a split index): start over.
            Path(private["GIT_INDEX_FILE"]).unlink(missing_ok=True)
            if head is not None:
                git(["read-tree", head], cwd=repo, env=private)
            git(["add", "-A"], cwd=repo, env=private)
        tree = git(["write-tree"], cwd=repo, env=private).stdout.strip()
    if head is not None and tree == tree_of(repo, head):
        return head
    return _commit_tree(repo, tree, head, "kanibako: the director's uncommitted work", {})


def identity_of(repo: Path) -> tuple[str, str]:
    """The user's git name and email (empty strings when unset)."""
    name = git(["config", "user.name"], cwd=repo, check=False).stdout.strip()
    email = git(["config", "user.email"], cwd=repo, check=False).stdout.strip()
    return name, email


def worktree_snapshot(clone: Path, head: str, scratch: Path, message: str) -> tuple[Path, str]:
    """A reader repository in ``scratch`` holding a commit of ``clone``'s working tree.

    The commit is ``head`` itself when the working tree matches it, else a
    commit on top of ``head`` with the uncommitted work (untracked,
    non-ignored files included). Returns the reader and that commit. The
    clone's config, index and hooks are never read: only its objects, as
    alternates of the reader.
    """
    reader = scratch / "reader.git"
    git(["init", "--bare", "--quiet", "--template=", str(reader)])
    objects = (clone / ".git" / "objects").resolve()
    (reader / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (reader / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    env = {
        "GIT_DIR": str(reader),
        "GIT_WORK_TREE": str(clone),
        "GIT_INDEX_FILE": str(scratch / "index"),
    }
    safe = ["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"]
    git([*safe, "read-tree", head], cwd=clone, env=env)
    git([*safe, "add", "-A"], cwd=clone, env=env)
    tree = git([*safe, "write-tree"], cwd=clone, env=env).stdout.strip()
    head_tree = git(["--git-dir", str(reader), "rev-parse", f"{head}^{{tree}}"]).stdout.strip()
    work = (
        head
        if tree == head_tree
        else _commit_tree(clone, tree, head, message, {"GIT_DIR": str(reader)})
    )
    return reader, work
