"""Names the box chose reach the host's terminal escaped: one entry, one line, nothing run.

Each test plants a hostile name where the host-side code reads the host's tree (or the
egress log) directly, then checks every line printed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kanibako.display import safe_line
from kanibako.errors import as_cli_error
from kanibako.session.privileges import privileges
from kanibako.session.protect_control_files import protect_control_files
from kanibako_paths.session_config import ProtectSettings

# An OSC 52 clipboard write, a window title, a forged second line, a bidi override.
HOSTILE = "x\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;t\x07\nkanibako: all clear\u202e"


def assert_one_inert_line(line: str) -> None:
    assert "\n" not in line and "\x1b" not in line and "\x07" not in line
    assert "\u202e" not in line
    assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in line and "\\nkanibako: all clear" in line


def test_safe_line_keeps_every_script_and_escapes_the_rest() -> None:
    assert safe_line("résumé 日本語 ok") == "résumé 日本語 ok"
    assert safe_line("a\x1b[2J\nb\t") == "a\\x1b[2J\\nb\\t"
    assert safe_line("back\\slash") == "back\\\\slash"
    assert safe_line(os.fsdecode(b"bad\xff")) == "bad\\udcff"
    assert safe_line(Path("/w/\x1b")) == "/w/\\x1b"


def test_control_file_sweep_names_a_hostile_name_on_one_line(tmp_path: Path) -> None:
    contribution = protect_control_files(tmp_path, "/w", ProtectSettings())
    (tmp_path / f".yarnrc{HOSTILE}").write_text("x\n")  # .yarnrc* is a control path
    said: list[str] = []
    contribution.teardown(said.append)
    assert len(said) == 1
    assert_one_inert_line(said[0])


def test_setuid_sweep_names_a_hostile_name_on_one_line(tmp_path: Path) -> None:
    planted = tmp_path / f"suid{HOSTILE}"
    planted.write_text("#!/bin/sh\n")
    planted.chmod(0o4755)
    said: list[str] = []
    privileges([tmp_path], privileged=False).teardown(said.append)
    assert not planted.stat().st_mode & stat.S_ISUID
    assert len(said) == 1
    assert_one_inert_line(said[0])


def test_os_error_naming_a_hostile_path_is_one_line(tmp_path: Path) -> None:
    error = as_cli_error(FileNotFoundError(2, "No such file or directory", str(tmp_path / HOSTILE)))
    assert error is not None
    assert_one_inert_line(error.format_message())
