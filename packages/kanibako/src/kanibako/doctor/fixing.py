"""``doctor --fix``: apply the fixes that are this user's to apply, each shown and agreed first."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

from kanibako.doctor.model import Check, ConfEdit
from kanibako.doctor.podman_conf import apply_edit

Ask = Callable[[str], bool]
Say = Callable[[str], None]


def fixable(checks: list[Check]) -> list[ConfEdit]:
    """The file edits of the checks that are not ok, one per file line."""
    seen: set[tuple[str, str, str]] = set()
    edits = []
    for check in checks:
        edit = check.edit
        if check.status in ("ok", "skip") or edit is None:
            continue
        key = (str(edit.path), edit.table, edit.key)
        if key not in seen:
            seen.add(key)
            edits.append(edit)
    return edits


def apply_fixes(edits: list[ConfEdit], ask: Ask, say: Say) -> int:
    """Apply each edit the user agrees to (system files only as root); how many were applied."""
    applied = 0
    for edit in edits:
        if edit.system and os.geteuid() != 0:
            say(f"needs root, not applied: {edit.describe()}")
            continue
        if not ask(f"set {edit.describe()}?"):
            say("left as it is")
            continue
        apply_edit(edit)
        say(f"wrote {edit.describe()}")
        applied += 1
        if edit.then_run and ask(f"run {' '.join(edit.then_run)} ({edit.then_why})?"):
            done = subprocess.run(list(edit.then_run), capture_output=True, text=True, check=False)
            status = "done" if done.returncode == 0 else f"failed: {done.stderr.strip()[-200:]}"
            say(f"{' '.join(edit.then_run)}: {status}")
    return applied
