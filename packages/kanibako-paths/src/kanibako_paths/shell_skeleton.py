"""The persistent home a project's container starts with (mounted at /home/agent).

``.bashrc`` sources every ``~/.shell.d/*.sh`` and takes the prompt from
``KANIBAKO_PS1``; ``.profile`` hands login shells to ``.bashrc``. Shells made
by older versions (no ``shell.d`` sourcing) get the block appended once.
"""

from __future__ import annotations

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
    (shell_dir / SHELL_D).mkdir(parents=True, exist_ok=True)
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
    changed = False
    shell_d = shell_dir / SHELL_D
    if not shell_d.is_dir():
        shell_d.mkdir()
        changed = True
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
