"""What one session capability adds to the ContainerSpec, and its step when the session ends.

A capability never edits the spec itself: it returns a :class:`Contribution`,
and :func:`apply` merges them in order. A contributed mount is dropped when
its target is already taken or lies under a read-only tmpfs (a mount point
cannot be made inside one, and what it would protect is hidden anyway).
A replacement (a bind or an overlay) takes the place of the spec's bind at
the same target: that is how a read-write mount is made a read-only layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kanibako_runtime import ContainerSpec, Mount, OverlayMount, TmpfsMount

Echo = Callable[[str], None]


def _no_teardown(echo: Echo) -> None:
    """Nothing to do when the session ends."""


@dataclass(frozen=True)
class Contribution:
    """Mounts and tmpfs to add, ContainerSpec fields to set, and a teardown step."""

    mounts: tuple[Mount, ...] = ()
    tmpfs: tuple[TmpfsMount, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    replacements: tuple[Mount | OverlayMount, ...] = ()
    teardown: Callable[[Echo], None] = _no_teardown


def _under(target: str, root: str) -> bool:
    return target.startswith(root.rstrip("/") + "/")


def apply(spec: ContainerSpec, contributions: Iterable[Contribution]) -> ContainerSpec:
    """``spec`` with every contribution merged in (later options win)."""
    mounts = list(spec.mounts)
    tmpfs = list(spec.tmpfs)
    overlays = list(spec.overlays)
    options: dict[str, Any] = {}

    def placeable(target: str) -> bool:
        taken = {m.target for m in mounts} | {t.target for t in tmpfs}
        taken |= {o.target for o in overlays}
        hidden = (t.target for t in tmpfs if t.read_only)
        return target not in taken and not any(_under(target, h) for h in hidden)

    for contribution in contributions:
        for replacement in contribution.replacements:
            mounts = [m for m in mounts if m.target != replacement.target]
            overlays = [o for o in overlays if o.target != replacement.target]
            if isinstance(replacement, OverlayMount):
                overlays.append(replacement)
            else:
                mounts.append(replacement)
        for hiding in contribution.tmpfs:
            if placeable(hiding.target):
                tmpfs.append(hiding)
        for mount in contribution.mounts:
            if placeable(mount.target):
                mounts.append(mount)
        options.update(contribution.options)
    return replace(
        spec, mounts=tuple(mounts), tmpfs=tuple(tmpfs), overlays=tuple(overlays), **options
    )


def run_teardowns(contributions: Iterable[Contribution], echo: Echo) -> None:
    """Every teardown step, last contribution first; one failing does not stop the others."""
    for contribution in reversed(list(contributions)):
        try:
            contribution.teardown(echo)
        except OSError as exc:
            echo(f"a session teardown step failed: {exc}")
