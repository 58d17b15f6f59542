"""Reading the JSONL log: the chat format, filters, and a follow that sees new lines."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from kanibako_helpers import HelperError, LogEntry, follow_log, format_entry, read_log


def write(path: Path, *entries: dict[str, object]) -> None:
    with path.open("a") as handle:
        for entry in entries:
            handle.write(json.dumps(entry) + "\n")


def entry(seq: int, sender: int, to: int | str, text: str) -> dict[str, object]:
    ts = time.mktime((2026, 1, 2, 12, 35, seq, 0, 0, -1))
    return {"seq": seq, "ts": ts, "from": sender, "to": to, "text": text}


def test_format_matches_the_spec() -> None:
    item = LogEntry(seq=1, ts=time.mktime((2026, 1, 2, 12, 35, 10, 0, 0, -1)), sender=0, to=1,
                    text="Analyze the auth module and report back.")  # fmt: skip
    assert format_entry(item) == "12:35:10  [0 → 1]  Analyze the auth module and report back."
    star = LogEntry(seq=2, ts=item.ts + 110, sender=0, to="*", text="Starting integration tests.")
    assert format_entry(star) == "12:37:00  [0 → *]  Starting integration tests."


def test_filter_by_sender_and_last(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, entry(1, 0, 1, "a"), entry(2, 1, 0, "b"), entry(3, 0, "*", "c"), entry(4, 0, 2, "d"))
    assert [e.text for e in read_log(log)] == ["a", "b", "c", "d"]
    assert [e.text for e in read_log(log, sender=0)] == ["a", "c", "d"]
    assert [e.text for e in read_log(log, sender=0, last=2)] == ["c", "d"]
    assert read_log(log, last=0) == []


def test_torn_and_foreign_lines_are_skipped(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"seq": 1, "ts": 1, "from": 0, "to": 1}\nnot json\n[1]\n')
    write(log, entry(2, 0, 1, "ok"))
    log.write_text(log.read_text() + '{"seq": 3, "ts"')
    assert [e.text for e in read_log(log)] == ["ok"]


def test_missing_log_reads_as_empty(tmp_path: Path) -> None:
    assert read_log(tmp_path / "none.jsonl") == []


def test_negative_last_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HelperError, match="--last"):
        read_log(tmp_path / "x", last=-1)


def test_follow_yields_history_then_new_entries(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, entry(1, 0, 1, "old"))
    stop = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        for item in follow_log(log, interval=0.01, keep_going=lambda: not stop.is_set()):
            seen.append(item.text)
            if len(seen) == 3:
                stop.set()

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.05)
    write(log, entry(2, 1, 0, "new"))
    with log.open("a") as handle:  # a line written in two pieces
        handle.write('{"seq": 3, "ts": 1, "from": 0,')
        handle.flush()
        time.sleep(0.05)
        handle.write(' "to": "*", "text": "split"}\n')
    thread.join(5)
    stop.set()
    assert seen == ["old", "new", "split"]


def test_follow_trims_history_to_last_and_filters_new_entries(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, entry(1, 0, 1, "a"), entry(2, 0, 1, "b"), entry(3, 1, 0, "c"))
    seen: list[str] = []
    appended = False

    def more() -> bool:
        nonlocal appended
        if len(seen) == 1 and not appended:
            write(log, entry(4, 1, 0, "skip"), entry(5, 0, 2, "d"))
            appended = True
        return len(seen) < 2

    for item in follow_log(log, sender=0, last=1, interval=0.01, keep_going=more):
        seen.append(item.text)
    assert seen == ["b", "d"]


def test_follow_waits_for_a_log_that_does_not_exist_yet(tmp_path: Path) -> None:
    log = tmp_path / "later.jsonl"
    seen: list[str] = []
    calls = 0

    def more() -> bool:
        nonlocal calls
        calls += 1
        if calls == 3:
            write(log, entry(1, 0, 1, "first"))
        return not seen

    for item in follow_log(log, interval=0.01, keep_going=more):
        seen.append(item.text)
    assert seen == ["first"]


def test_follow_goes_on_after_the_hub_drops_the_older_half(tmp_path: Path) -> None:
    from kanibako_helpers.log_writer import MessageLog

    path = tmp_path / "log.jsonl"
    log = MessageLog(path, max_bytes=4096)
    seen: list[int] = []
    stop = threading.Event()

    def follow() -> None:
        for item in follow_log(path, interval=0.01, keep_going=lambda: not stop.is_set()):
            seen.append(item.seq)

    reader = threading.Thread(target=follow)
    reader.start()
    try:
        for seq in range(1, 201):
            log.add(json.dumps(entry(seq % 60, 0, 1, "x" * 40) | {"seq": seq}).encode() + b"\n")
            log.flush()
            time.sleep(0.001)
        deadline = time.monotonic() + 5
        while (not seen or seen[-1] != 200) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        reader.join()
        log.close()
    assert path.stat().st_size <= 4096
    assert seen == sorted(set(seen)), "nothing shown twice, nothing out of order"
    assert seen[-1] == 200


def test_a_log_over_the_cap_is_cut_when_the_hub_opens_it(tmp_path: Path) -> None:
    from kanibako_helpers.log_writer import MessageLog

    path = tmp_path / "log.jsonl"
    write(path, *(entry(seq % 60, 0, 1, "y" * 100) | {"seq": seq} for seq in range(1, 500)))
    MessageLog(path, max_bytes=8192).close()
    kept = [json.loads(line)["seq"] for line in path.read_bytes().splitlines()]
    assert path.stat().st_size <= 8192 // 2
    assert kept == list(range(kept[0], 500))
