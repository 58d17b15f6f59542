"""Step lines with durations; a live line only on a terminal; tails after failures."""

from __future__ import annotations

import io

import pytest

from kanibako.step_progress import StepProgress, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.42, "0.4 s"), (12.4, "12 s"), (185, "3 min 05 s")]
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_piped_output_has_step_lines_and_no_live_line() -> None:
    out, clock = io.StringIO(), Clock()
    progress = StepProgress(stream=out, clock=clock)
    assert not progress.live
    with progress.step("building x") as step:
        step.output("STEP 1/3: FROM debian\n")
        clock.now += 12.0
    assert out.getvalue() == "kanibako: building x ...\nkanibako: building x: done in 12 s\n"


def test_terminal_shows_the_latest_output_with_elapsed_time() -> None:
    out, clock = io.StringIO(), Clock()
    progress = StepProgress(stream=out, live=True, clock=clock)
    with progress.step("pulling x") as step:
        clock.now += 2.0
        step.output("Copying blob 1234\n")
    text = out.getvalue()
    assert "\r  [2.0 s] Copying blob 1234" in text
    assert text.endswith("kanibako: pulling x: done in 2.0 s\n")


def test_verbose_passes_all_output_through() -> None:
    out = io.StringIO()
    progress = StepProgress(stream=out, verbose=True, live=True)
    assert not progress.live or progress.verbose
    with progress.step("x") as step:
        step.output("line one")
        step.output("line two")
    assert "line one\nline two\n" in out.getvalue()


def test_failure_says_how_long_and_why_and_can_show_the_tail() -> None:
    out, clock = io.StringIO(), Clock()
    progress = StepProgress(stream=out, clock=clock)
    with pytest.raises(RuntimeError), progress.step("building x") as step:
        step.output("E: Unable to locate package nosuch")
        clock.now += 1.0
        step.show_tail()
        raise RuntimeError("'podman build' failed: exit status 100")
    assert out.getvalue().splitlines()[1:] == [
        "  | E: Unable to locate package nosuch",
        "kanibako: building x: failed after 1.0 s (exit status 100)",
    ]
