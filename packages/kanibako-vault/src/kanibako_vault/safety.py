"""The containment rules every path and link must pass, on the way in and on the way out.

The agent writing the directory is untrusted, and so is every archive (it may have
been crafted or damaged). A relative path must stay inside the root; a symbolic link
must resolve inside the root when followed through the final tree, including through
other links. Links are resolved against the tree the manifest describes (the tree a
restore produces), like the kernel would, rather than lexically: ``d/l -> ..`` and
``x -> d/l/..`` are each harmless-looking yet together point outside.
"""

from __future__ import annotations

from collections.abc import Mapping

from kanibako_vault.errors import UnsafeArchiveError

# The kernel gives up after 40 links in one lookup; a longer chain is a loop.
_MAX_HOPS = 40


def check_relpath(path: str, where: str = "archive") -> None:
    """Raise UnsafeArchiveError unless ``path`` is a plain relative path inside the root."""
    if not path:
        raise UnsafeArchiveError(f"{where}: empty path")
    if "\x00" in path:
        raise UnsafeArchiveError(f"{where}: path with a NUL byte: {path!r}")
    if path.startswith("/"):
        raise UnsafeArchiveError(f"{where}: absolute path: {path!r}")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise UnsafeArchiveError(f"{where}: path escapes or is not normalised: {path!r}")


def parent_of(path: str) -> str:
    """The parent of a relative path ('' for an entry directly in the root)."""
    return path.rpartition("/")[0]


def link_escapes(links: Mapping[str, str], path: str, target: str) -> bool:
    """True if the link at ``path`` pointing to ``target`` resolves outside the root.

    ``links`` maps the relative path of every symbolic link in the tree to its target;
    names not in it are treated as directories or files (a dangling name resolves
    nowhere, so it cannot escape). An absolute target, a ``..`` above the root at any
    step, or a chain of more than 40 links counts as escaping.
    """
    if not target or target.startswith("/"):
        return True
    resolved: list[str] = [p for p in parent_of(path).split("/") if p]
    pending = target.split("/")
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return True
            resolved.pop()
            continue
        candidate = "/".join([*resolved, part])
        next_target = links.get(candidate)
        if next_target is None:
            resolved.append(part)
            continue
        hops += 1
        if hops > _MAX_HOPS or next_target.startswith("/") or not next_target:
            return True
        pending = next_target.split("/") + pending
    return False


def escaping_links(links: Mapping[str, str]) -> set[str]:
    """The links of a tree that escape, repeated until removing them changes nothing.

    Any link resolved through an escaping link escapes too and is found in the same
    round; removing them only makes names dangle. The loop is a guard, not a need.
    """
    remaining = dict(links)
    escaping: set[str] = set()
    while True:
        found = {p for p, t in remaining.items() if link_escapes(remaining, p, t)}
        if not found:
            return escaping
        escaping |= found
        for p in found:
            del remaining[p]
