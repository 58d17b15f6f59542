"""Text from inside a container, made safe to print on the host user's terminal.

Helpers are untrusted: a message, a model name or a state field may carry
escape sequences (a window title, an OSC 52 clipboard write, a screen clear)
or newlines that forge extra log entries. :func:`display_text` keeps every
printable character (any script) and writes each control character as a
visible escape, so one entry stays one line and the terminal interprets
nothing. The vault package keeps its own copy of the same rule for file
names (it must stand alone).
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
"""Controls, format characters (bidi overrides hide text), line and paragraph
separators, surrogates, private-use and unassigned code points."""


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def display_text(value: object) -> str:
    """``value`` as one printable line: control and invisible characters escaped.

    A backslash is doubled, so an escape shown can always be told from the
    same characters typed literally.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and "\\" not in text:
        return text  # the common case, without a walk over every character
    return "".join(
        _escape(ch) if ch in _NAMED or unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch
        for ch in text
    )
