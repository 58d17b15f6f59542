"""A helper's work as the user's repository sees it: fetched, diffed, merged, previewed.

Every operation fetches the helper's state into the user's repository first:
``refs/kanibako/helpers/N/head`` (its last commit) and ``.../work`` (that
commit plus its uncommitted work, as a commit of its own when there is
any). Nothing is ever pushed into the user's branches: only ``merge``
changes the checkout, and only when the merge is known to be clean.
Conflicts are computed with ``git merge-tree --write-tree``, which touches
no checkout and no index.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from kanibako.session.helper_clones import REF_PREFIX, helper_ref
from kanibako.session.helper_git import (
    CloneError,
    CloneFailure,
    git,
    require_merge_tree,
    resolve_commit,
    tree_of,
    worktree_snapshot,
)

_SHOWN_FILES = 10


@dataclass(frozen=True)
class HelperWork:
    """Where helper ``number`` started, its last commit, and that plus its uncommitted work."""

    number: int
    start: str
    head: str
    work: str

    @property
    def has_commits(self) -> bool:
        return self.head != self.start

    @property
    def has_uncommitted(self) -> bool:
        return self.work != self.head


@dataclass(frozen=True)
class Review:
    """The user's repository and the helpers' trees (``<helpers>/N/workspace`` are the clones)."""

    repo: Path
    helpers_root: Path

    def clone_of(self, number: int) -> Path:
        return self.helpers_root / str(number) / "workspace"

    def helpers(self) -> list[int]:
        """Helpers with a recorded start in the user's repository, in order."""
        listed = git(["for-each-ref", "--format=%(refname)", f"{REF_PREFIX}/"], cwd=self.repo)
        numbers = set()
        for ref in listed.stdout.split():
            part = ref.removeprefix(f"{REF_PREFIX}/").split("/")[0]
            if part.isdigit() and ref.endswith("/start"):
                numbers.add(int(part))
        return sorted(numbers)

    def fetch(self, number: int) -> HelperWork:
        """Fetch helper ``number``'s commits and uncommitted work into the user's repository."""
        start = resolve_commit(self.repo, helper_ref(number, "start"))
        clone = self.clone_of(number)
        git_dir = clone / ".git"
        if start is None or git_dir.is_symlink() or not git_dir.is_dir():
            raise CloneError(f"helper {number} has no clone in this project")
        head = resolve_commit(clone, "HEAD", git_dir=git_dir)
        if head is None:
            raise CloneFailure(f"helper {number}'s clone has no commit at HEAD")
        with tempfile.TemporaryDirectory(prefix="kanibako-review-") as scratch:
            reader, work = worktree_snapshot(
                clone, head, Path(scratch), f"kanibako helper {number}: uncommitted work"
            )
            for name, commit in (("head", head), ("work", work)):
                git(["--git-dir", str(reader), "update-ref", f"refs/{name}", commit])
            git(
                [
                    "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", str(reader),
                    f"+refs/head:{helper_ref(number, 'head')}",
                    f"+refs/work:{helper_ref(number, 'work')}",
                ],
                cwd=self.repo,
            )  # fmt: skip
        return HelperWork(number, start, head, work)

    def diff(self, number: int, *, stat: bool) -> str:
        """The helper's work (uncommitted included) against where it started."""
        work = self.fetch(number)
        args = ["diff", "--no-color", "--no-ext-diff"]
        args += ["--stat"] if stat else []
        return git([*args, work.start, work.work], cwd=self.repo).stdout

    def conflicts_between(self, ours: str, theirs: str) -> list[str]:
        """Files that would conflict merging ``theirs`` into ``ours`` (no checkout touched)."""
        done = git(
            ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", ours, theirs],
            cwd=self.repo,
            check=False,
        )
        if done.returncode not in {0, 1}:
            reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
            raise CloneFailure(f"git merge-tree failed: {reason}")
        if done.returncode == 0:
            return []
        names = [name for name in done.stdout.split("\0")[1:] if name]
        return sorted(set(names))

    def merged_result(self, ours: str, theirs: str) -> str | None:
        """The tree of a clean merge of ``theirs`` into ``ours``; None on a conflict."""
        done = git(
            ["merge-tree", "--write-tree", "--no-messages", ours, theirs],
            cwd=self.repo,
            check=False,
        )
        if done.returncode != 0:
            return None
        return done.stdout.split()[0]

    def holds_unmerged_work(self, number: int) -> bool:
        """Whether removing helper ``number``'s clone would lose anything not in HEAD."""
        work = self.fetch(number)
        if tree_of(self.repo, work.work) == tree_of(self.repo, work.start):
            return False
        head = resolve_commit(self.repo, "HEAD")
        if head is None:
            return True
        require_merge_tree()
        merged = self.merged_result(head, work.work)
        return merged is None or merged != tree_of(self.repo, head)

    def forget(self, number: int) -> None:
        """Drop the user's repository's refs of helper ``number`` (its clone is gone)."""
        listed = git(
            ["for-each-ref", "--format=%(refname)", f"{REF_PREFIX}/{number}/"], cwd=self.repo
        )
        for ref in listed.stdout.split():
            git(["update-ref", "-d", ref], cwd=self.repo)

    def conflicts(self) -> list[dict[str, object]]:
        """For every pair of helpers and each helper against HEAD: the files that would conflict."""
        require_merge_tree()
        works = {n: self.fetch(n) for n in self.helpers() if (self.clone_of(n) / ".git").is_dir()}
        found: list[dict[str, object]] = []
        for a, b in combinations(sorted(works), 2):
            files = self.conflicts_between(works[a].work, works[b].work)
            found.append({"a": a, "b": b, "files": files})
        head = resolve_commit(self.repo, "HEAD")
        if head is not None:
            for number in sorted(works):
                files = self.conflicts_between(head, works[number].work)
                found.append({"a": number, "b": "HEAD", "files": files})
        return found

    def merge(self, number: int, *, squash: bool) -> str:
        """Merge helper ``number``'s commits into the checked-out branch; the line to print.

        Refused, with the checkout exactly as it was, on a detached HEAD, a
        dirty checkout or a conflict (the files named).
        """
        require_merge_tree()
        work = self.fetch(number)
        if not work.has_commits:
            raise CloneError(
                f"helper {number} has no commits to merge (see 'kanibako helper diff {number}')"
            )
        branch = git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=self.repo, check=False)
        if branch.returncode != 0:
            raise CloneError("the checkout is not on a branch; check out the branch to merge into")
        name = branch.stdout.strip()
        dirty = git(["status", "--porcelain", "--untracked-files=no"], cwd=self.repo).stdout
        if dirty.strip():
            files = [line[3:] for line in dirty.splitlines() if line.strip()]
            raise CloneError(
                f"the checkout has uncommitted changes ({_names(files)}); commit or stash them first"
            )
        head = resolve_commit(self.repo, "HEAD")
        if head is not None:
            clashes = self.conflicts_between(head, work.head)
            if clashes:
                raise CloneError(
                    f"helper {number}'s commits conflict with {name} in {_names(clashes)}; nothing was merged"
                )
        ref = helper_ref(number, "head")
        if squash:
            message = f"kanibako helper {number}, squashed"
            steps = [
                ["merge", "--squash", "--quiet", ref],
                ["commit", "--quiet", "--no-edit", "-m", message],
            ]
        else:
            steps = [
                ["merge", "--no-edit", "--quiet", "-m", f"Merge kanibako helper {number}", ref]
            ]
        for step in steps:
            done = git(step, cwd=self.repo, check=False)
            if done.returncode != 0:
                git(["reset", "--quiet", "--merge"], cwd=self.repo, check=False)
                reason = (
                    done.stderr.strip().splitlines()
                    or done.stdout.strip().splitlines()
                    or ["failed"]
                )[-1]
                raise CloneFailure(
                    f"merging helper {number} failed, the checkout is as it was: {reason}"
                )
        note = " (its uncommitted work was left out)" if work.has_uncommitted else ""
        how = "squashed into" if squash else "merged into"
        return f"helper {number}'s commits {how} {name}{note}"


def _names(files: list[str]) -> str:
    shown = ", ".join(files[:_SHOWN_FILES])
    more = len(files) - _SHOWN_FILES
    return shown + (f" and {more} more" if more > 0 else "")
