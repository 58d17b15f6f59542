"""File names from ``share-rw``, made safe to print on the host user's terminal.

The agent names the files in ``share-rw``, and the vault names some of them at every
launch (what a snapshot left out, what changed during one). A name may carry escape
sequences (a window title, an OSC 52 clipboard write, a screen clear) or newlines
that forge further lines. :func:`display_name` keeps every printable character (any
script) and writes each control or invisible character as a visible escape, so one
name stays on one line and the terminal interprets nothing. The vault stands alone,
so this is its own copy of the rule ``kanibako_helpers.display_text`` applies to
helper messages.
"""

from __future__ import annotations

import unicodedata

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Controls, format characters (bidi overrides reorder what is shown), line and
# paragraph separators, surrogates (undecodable bytes), private-use, unassigned.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _visible(char: str) -> str:
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def display_name(value: object) -> str:
    """``value`` as one printable line; a backslash is doubled, so escapes stay unambiguous."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        _visible(ch) if ch in _SHORT or unicodedata.category(ch) in _HIDDEN else ch for ch in text
    )
