"""What ``kanibako setup`` asks of the doctor: overlay storage before building, a summary after."""

from __future__ import annotations

import sys
from collections.abc import Callable

from kanibako.doctor.facts import gather
from kanibako.doctor.fixing import apply_fixes
from kanibako.doctor.rootless_checks import check_storage

Ask = Callable[[str], bool]
Say = Callable[[str], None]


def offer_overlay_storage(ask: Ask, say: Say) -> bool:
    """On vfs storage, offer overlay before any image is built into the slow storage.

    Without a terminal nothing is changed: the fix is printed instead. Returns
    whether the storage was switched.
    """
    check = check_storage(gather())
    if check.status != "warn":
        return False
    say(f"the engine stores images on {check.detail}")
    if check.edit is None or not sys.stdin.isatty():
        say(f"to fix it: {check.fix}")
        return False
    return apply_fixes([check.edit], ask, say) > 0


def doctor_summary() -> str:
    """The doctor's one-line summary of this host."""
    from kanibako.doctor import run_checks, summary

    return summary(run_checks())
