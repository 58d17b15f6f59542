"""The supervisor's report pipe: what the CLI reads back, and how failures travel on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kanibako.errors import CliError, CliFailure
from kanibako.session.supervisor import STARTED, Supervisor, _failure, parse_outcome


@pytest.mark.parametrize(
    ("line", "expected"),
    [("0", (0, None)), ("130", (130, None)), ("2 no such image", (2, "no such image"))],
)
def test_an_outcome_line_is_a_status_and_maybe_a_message(
    line: str, expected: tuple[int, str | None]
) -> None:
    assert parse_outcome(line) == expected


def _supervisor_reporting(*lines: str) -> Supervisor:
    read_end, write_end = os.pipe()
    os.write(write_end, "".join(f"{line}\n" for line in lines).encode())
    os.close(write_end)
    return Supervisor(pid=4242, report=read_end, log=Path("/box/session.log"))


def test_the_cli_reads_past_started_to_the_status() -> None:
    supervisor = _supervisor_reporting(STARTED, "3")
    try:
        assert supervisor.outcome() == (3, None)
    finally:
        supervisor.close()


def test_a_supervisor_gone_without_a_word_is_status_1_naming_its_log() -> None:
    supervisor = _supervisor_reporting(STARTED)
    try:
        status, message = supervisor.outcome()
    finally:
        supervisor.close()
    assert status == 1
    assert message is not None and "pid 4242" in message and "/box/session.log" in message


def test_next_report_times_out_while_the_supervisor_says_nothing() -> None:
    read_end, write_end = os.pipe()
    supervisor = Supervisor(pid=1, report=read_end, log=Path("log"))
    try:
        assert supervisor.next_report(timeout=0.01) is None
        os.write(write_end, b"start")
        assert supervisor.next_report(timeout=0.01) is None  # half a line is not a line
        os.write(write_end, b"ed\n")
        assert supervisor.next_report(timeout=0.01) == STARTED
    finally:
        os.close(write_end)
        supervisor.close()


def test_failures_travel_as_the_cli_would_show_them(tmp_path: Path) -> None:
    log = tmp_path / "session.log"
    assert _failure(CliError("bad  input\nhere"), log) == "2 bad input here"
    assert _failure(CliFailure("engine failed"), log) == "1 engine failed"
    assert _failure(SystemExit(5), log) == "5"
    assert _failure(PermissionError(13, "Permission denied", "/x"), log).startswith("1 ")


def test_an_unexpected_failure_is_one_line_pointing_at_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        line = _failure(exc, tmp_path / "session.log")
    assert line == f"1 internal error (ValueError: boom); see {tmp_path / 'session.log'}"
    assert "Traceback" in capsys.readouterr().err  # the whole story goes to the log
