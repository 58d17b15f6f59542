"""Bad launch flags are refused before anything runs: one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.state_cli import run


@pytest.mark.parametrize(
    "args",
    [
        ["-i", "", "start"],
        ["-i", "bad name", "start"],
        ["shell", "-i", "bad name"],
        ["start", "-i", " "],
    ],
)
def test_image_flag_with_an_empty_or_spaced_name_is_a_usage_error(
    isolated_home: Path, tmp_path: Path, args: list[str]
) -> None:
    # Before: handed to `podman pull`, whose failure came back as a runtime
    # error (exit 1) in two lines, after the engine had been started.
    result = run(*args, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '-i' / '--image'" in result.stderr, result.stderr
    assert "an image name has no spaces and is not empty" in result.stderr
    assert "pull" not in result.stderr
