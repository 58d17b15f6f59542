"""display_text: nothing from inside a container reaches the host's terminal as a command."""

from __future__ import annotations

from pathlib import Path

import pytest

import kanibako_helpers
from kanibako_helpers import display_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, café, 日本語 ✓", "plain text, café, 日本語 ✓"),
        ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),  # OSC 52 clipboard write
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # clear the screen
        ("one\ntwo\rthree\tfour", "one\\ntwo\\rthree\\tfour"),
        ("\x9b31m", "\\x9b31m"),  # the 8-bit CSI
        ("abc\u202edcb", "abc\\u202edcb"),  # a bidi override hides what follows
        ("line\u2028sep\u2029para", "line\\u2028sep\\u2029para"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("priv\U000f0000", "priv\\U000f0000"),
        ("back\\slash", "back\\\\slash"),  # an escape shown is never a typed one
        ("\ud800", "\\ud800"),  # a lone surrogate (from JSON)
    ],
)
def test_control_and_invisible_characters_are_escaped(raw: str, shown: str) -> None:
    assert display_text(raw) == shown


def test_anything_becomes_one_printable_line() -> None:
    every = "".join(map(chr, range(0x110000)))
    shown = display_text(every)
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown
    assert display_text(42) == "42"
    assert display_text(None) == "None"


def test_every_module_of_the_package_is_under_400_lines() -> None:
    package = Path(kanibako_helpers.__file__).parent
    long = {
        p.name: n for p in package.glob("*.py") if (n := len(p.read_text().splitlines())) >= 400
    }
    assert long == {}
