"""Names the agent chose in share-rw reach the host's terminal escaped: one entry, one line."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from kanibako_vault import snapshot
from kanibako_vault.cli import cli
from kanibako_vault.display import display_name
from kanibako_vault.report import skipped_message

# A window title, an OSC 52 clipboard write, a screen clear, a forged second line,
# a bidi override that would show the name reversed.
HOSTILE = (
    "\x1b]0;owned\x07",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "\x1b[2J",
    "x\nkanibako: all clear",
    "gnp.\u202eexe",
)


def _plant_fifos(share: Path) -> None:
    # FIFOs are what a snapshot leaves out and names: the names the warning prints.
    for name in HOSTILE:
        os.mkfifo(share / name)


def _assert_inert(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\n" not in text.rstrip("\n")


def test_display_name_escapes_controls_and_keeps_every_script() -> None:
    assert display_name("résumé 日本語 ok") == "résumé 日本語 ok"
    assert display_name("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert display_name("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert display_name("back\\slash") == "back\\\\slash"  # an escape shown is never ambiguous
    assert display_name("\u202e") == "\\u202e"
    assert display_name(os.fsdecode(b"bad\xffbyte")) == "bad\\udcffbyte"


def test_skipped_warning_names_hostile_files_on_one_line(vault: tuple[Path, Path]) -> None:
    share, store = vault
    _plant_fifos(share)
    result = snapshot(share, store)
    assert len(result.skipped) == len(HOSTILE)
    warning = skipped_message(result)
    assert warning is not None
    _assert_inert(warning)
    assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in warning
    assert "x\\nkanibako: all clear" in warning


def test_vault_cli_prints_the_warning_escaped(vault: tuple[Path, Path]) -> None:
    share, store = vault
    _plant_fifos(share)
    result = CliRunner().invoke(
        cli, ["snapshot", "--dir", str(share), "--store", str(store)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "warning" in line]
    assert len(warnings) == 1 and len(result.output.splitlines()) == 2  # warning, summary
    for line in result.output.splitlines():
        _assert_inert(line)


def test_vault_cli_error_naming_a_hostile_path_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "gone\x1b]52;c;eA==\x07\nkanibako-vault: fine"
    result = CliRunner().invoke(
        cli, ["snapshot", "--dir", str(missing), "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    _assert_inert(result.output)
