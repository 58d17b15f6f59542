"""The persistent home a project's container starts with (mounted at /home/agent).

``.bashrc`` sources every ``~/.shell.d/*.sh`` and takes the prompt from
``KANIBAKO_PS1``; ``.profile`` hands login shells to ``.bashrc``. Shells made
by older versions (no ``shell.d`` sourcing) get the block appended once.

The home is written by the untrusted agent, so nothing planted there may stop a
later launch: a ``.shell.d`` that is not a directory (a dangling link, a file, a
FIFO) is renamed ``.shell.d.rejected`` with one line on stderr and made afresh;
a ``.bashrc`` that is not a regular file is left as it is, never read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kanibako_paths.atomic import atomic_write_bytes, atomic_write_text
from kanibako_paths.errors import KanibakoPathsError
from kanibako_paths.regular_file import read_regular_file_mode

SHELL_D = ".shell.d"
MARKER = "# kanibako: shell.d"

SHELL_D_BLOCK = f"""{MARKER} (sourced on every interactive shell; do not remove this line)
if [ -n "${{KANIBAKO_PS1:-}}" ]; then
    PS1="$KANIBAKO_PS1"
fi
if [ -d "$HOME/{SHELL_D}" ]; then
    for _kanibako_rc in "$HOME"/{SHELL_D}/*.sh; do
        [ -r "$_kanibako_rc" ] && . "$_kanibako_rc"
    done
    unset _kanibako_rc
fi
"""

BASHRC = f"""# ~/.bashrc for a Kanibako project shell.
# Drop *.sh files into ~/{SHELL_D}/ to extend it; set KANIBAKO_PS1 for the prompt
# (kanibako env set KANIBAKO_PS1 '...').
case $- in
    *i*) ;;
    *) return ;;
esac
HISTCONTROL=ignoreboth
shopt -s histappend checkwinsize 2>/dev/null
PS1='\\u@kanibako:\\w\\$ '

{SHELL_D_BLOCK}"""

PROFILE = """# ~/.profile for a Kanibako project shell: login shells read .bashrc too.
if [ -n "${BASH_VERSION:-}" ] && [ -f "$HOME/.bashrc" ]; then
    . "$HOME/.bashrc"
fi
if [ -d "$HOME/.local/bin" ]; then
    PATH="$HOME/.local/bin:$PATH"
fi
"""


def write_shell_skeleton(shell_dir: Path) -> None:
    """Create ``.bashrc``, ``.profile`` and ``.shell.d/`` where they do not exist yet."""
    shell_dir.mkdir(parents=True, exist_ok=True)
    _ensure_shell_d(shell_dir)
    for name, text in ((".bashrc", BASHRC), (".profile", PROFILE)):
        target = shell_dir / name
        if not target.exists():
            atomic_write_text(target, text)


def upgrade_shell(shell_dir: Path) -> bool:
    """Give an older shell ``shell.d`` sourcing and KANIBAKO_PS1; whether it changed.

    Safe to call on every launch: a shell that already has the block is left alone.
    """
    if not shell_dir.is_dir():
        return False
    changed = _ensure_shell_d(shell_dir)
    bashrc = shell_dir / ".bashrc"
    if not bashrc.exists():
        atomic_write_text(bashrc, BASHRC)
        return True
    own = _read_own_file(bashrc)
    if own is not None and MARKER not in own[0]:
        text, mode = own
        joined = text if text.endswith("\n") or not text else text + "\n"
        data = (joined + "\n" + SHELL_D_BLOCK).encode("utf-8", errors="surrogateescape")
        atomic_write_bytes(bashrc, data, mode=mode)
        changed = True
    if not (shell_dir / ".profile").exists():
        atomic_write_text(shell_dir / ".profile", PROFILE)
        changed = True
    return changed


def _ensure_shell_d(shell_dir: Path) -> bool:
    """Make ``.shell.d`` a directory (setting aside whatever else is there); whether it changed.

    A link to a directory is the agent's own choice and is kept: the host only
    tests it, and inside the box it resolves within the box.
    """
    shell_d = shell_dir / SHELL_D
    if shell_d.is_dir():
        return False
    if os.path.lexists(shell_d):
        aside = _set_aside(shell_d)
        print(
            f"kanibako: {shell_d} is not a directory; set aside as {aside.name}, a new one is made",
            file=sys.stderr,
            flush=True,
        )
    shell_d.mkdir()
    return True


def _set_aside(path: Path) -> Path:
    """Rename ``path`` (never followed) to ``NAME.rejected``, or a unique name if taken."""
    for suffix in ("", f"-{os.urandom(4).hex()}"):
        aside = path.with_name(f"{path.name}.rejected{suffix}")
        if suffix or not os.path.lexists(aside):
            path.rename(aside)
            return aside
    raise AssertionError("unreachable")  # pragma: no cover


def _read_own_file(path: Path) -> tuple[str, int] | None:
    """The text and permission bits of ``path`` when it is a regular file, else None.

    The home is written by the untrusted agent: a symlink planted there would
    make the host read (and copy into the home) any file the user can read, and
    a FIFO would hang the launch. Such a ``.bashrc`` is left as it is.
    """
    try:
        data, mode = read_regular_file_mode(path, KanibakoPathsError, follow_symlinks=False)
    except (OSError, KanibakoPathsError):
        return None
    return data.decode("utf-8", errors="surrogateescape"), mode
