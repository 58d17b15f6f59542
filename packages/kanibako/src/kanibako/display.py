"""Text that came from inside a box, made safe to print on the host user's terminal.

The agent names files in the workspace and the home, and the hosts it tries to reach;
Kanibako names some of them on the host (control files changed in a session, setuid
files cleared, denied destinations, paths gc could not read). Such text may carry
escape sequences (a window title, an OSC 52 clipboard write, a screen clear) or a
newline that forges a further line. :func:`safe_line` writes every character Python
does not call printable as its visible escape and doubles a backslash, so one entry
stays one line and the terminal interprets nothing. It is stdlib-only and tiny, so the
light commands (``status``) can use it without importing the helper package, whose
``display_text`` applies the same rule to helper messages.
"""

from __future__ import annotations


def _visible(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if char.isprintable():
        return char
    # repr already spells \n, \t, \x1b, \u202e, \udcff (an undecodable byte) visibly.
    return repr(char)[1:-1]


def safe_line(value: object) -> str:
    """``value`` as one line of plain text: controls and invisible characters escaped."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_visible(char) for char in text)
