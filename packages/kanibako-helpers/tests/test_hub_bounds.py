"""What a hostile director or helper plants between sessions, and what it floods the hub with.

Each test plants the file (or sends the request) as the attacker would and
then checks what the host's hub does: the registry, not the helpers' tree,
decides who exists; the log and every message are bounded; stopped helpers
are not messaged.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kanibako_helpers import HelperTree, HubClient, HubConfig, HubRefused, HubRunner, SpawnBudget
from kanibako_helpers.helper_registry import read_registry, registry_path
from kanibako_helpers.protocol import MAX_MESSAGE_BYTES


def _config(short_dir: Path, **extra: Any) -> HubConfig:
    return HubConfig(
        socket_path=short_dir / "hub.sock",
        log_path=short_dir / "log.jsonl",
        tree=HelperTree(short_dir / "helpers"),
        token_dir=short_dir / "tokens",
        root_budget=SpawnBudget(depth=2, breadth=2),
        **extra,
    )


@contextmanager
def _director(config: HubConfig, spawner: Any = None) -> Iterator[tuple[HubRunner, HubClient]]:
    """A hub for one session, and a connection to it as the director."""
    with (
        HubRunner(config, spawner) as runner,
        HubClient(runner.socket_path, runner.director_token) as director,
    ):
        yield runner, director


def test_planted_state_files_cannot_give_the_director_grandchildren(
    short_dir: Path, recording_spawner: Any
) -> None:
    """A leaf child's planted grandchild is not respawnable next session (issue 12, item 9)."""
    with _director(_config(short_dir), recording_spawner) as (_, director):
        assert director.request("spawn", depth=0, breadth=0)["helper"] == 1
    tree = HelperTree(short_dir / "helpers")
    # What the director can write into ~/helpers between sessions: a raised
    # budget for its leaf child and trees for grandchildren (3 is 1's child).
    tree.write_state(1, {"depth": 60, "breadth": 60, "model": "x; rm -rf /", "status": "running"})
    for planted in (3, 99):
        tree.create_helper(planted, planted // 3, SpawnBudget(1, 2), None, [], b"")
        tree.write_state(planted, {"helper": planted, "parent": 1, "depth": 1, "breadth": 1})
    with HubRunner(_config(short_dir), recording_spawner) as runner:
        assert sorted(runner.hub.helpers) == [0, 1]
        record = runner.hub.helpers[1]
        assert (record.budget.depth, record.budget.breadth) == (0, 0)
        assert record.model is None
        assert record.status == "stopped"
        with HubClient(runner.socket_path, runner.director_token) as director:
            assert [h["helper"] for h in director.request("list")["helpers"]] == [0, 1]
            with pytest.raises(HubRefused) as refused:
                director.request("respawn", helper=3)
            assert refused.value.code == "unknown-helper"
    assert len(recording_spawner.started) == 1, "only the first session's spawn"


def test_a_tampered_registry_entry_is_clamped_and_a_damaged_one_ignored(short_dir: Path) -> None:
    registry = registry_path(short_dir / "log.jsonl")
    entry = {"helper": 1, "parent": 0, "depth": 60, "breadth": 60, "model": "", "peers": []}
    wrong_parent = {**entry, "helper": 5, "parent": 0}  # 5's parent is 2 in base 2
    registry.write_text(
        json.dumps({"helpers": [{**entry, "status": "running"}, {**wrong_parent, "status": "x"}]})
    )
    with HubRunner(_config(short_dir)) as runner:
        assert sorted(runner.hub.helpers) == [0, 1]
        assert runner.hub.helpers[1].budget == SpawnBudget(1, 2)
    registry.write_bytes(b"\xff" * 10)
    with HubRunner(_config(short_dir)) as runner:
        assert sorted(runner.hub.helpers) == [0]


def test_a_fifo_or_huge_sparse_state_json_never_hangs_or_loads(short_dir: Path) -> None:
    tree = HelperTree(short_dir / "helpers")
    tree.create_helper(1, 0, SpawnBudget(0, 0), None, [], b"")
    tree.create_helper(2, 0, SpawnBudget(0, 0), None, [], b"")
    os.mkfifo(tree.state_file(1))
    with tree.state_file(2).open("wb") as handle:
        handle.truncate(1 << 30)  # 1 GiB, sparse: no disk used
    started = time.monotonic()
    assert tree.read_state(1) is None
    assert tree.read_state(2) is None
    assert time.monotonic() - started < 1
    with HubRunner(_config(short_dir)) as runner:  # a launch reading the tree: no hang
        assert sorted(runner.hub.helpers) == [0]


def test_directory_names_that_are_not_plain_numbers_are_ignored(short_dir: Path) -> None:
    root = short_dir / "helpers"
    for name in ("²", "01", "1x", "٣", "-1", "99999999999999999999", "4"):
        (root / name).mkdir(parents=True)
    (root / "channels" / "4-²").mkdir(parents=True)
    (root / "channels" / "4").mkdir()
    tree = HelperTree(root)
    assert tree.existing_helpers() == [4]
    tree.remove_helper(4)  # planted channel names never raise either
    assert tree.existing_helpers() == []
    with HubRunner(_config(short_dir)) as runner:
        assert sorted(runner.hub.helpers) == [0]


def test_a_message_over_the_size_cap_is_refused_with_a_reply(hub: Any) -> None:
    director = hub.director()
    # Control characters count as logged: six bytes each once escaped in JSON.
    big = "\x1b" * (MAX_MESSAGE_BYTES // 6 + 10)
    reply = director.ask(op="send", to=0, text=big)
    assert reply["code"] == "too-large", reply
    assert "limit" in reply["error"]
    assert director.ask(op="send", to=0, text="small", id=2)["ok"]
    log = (hub.root / "log/helper-messages.jsonl").read_text().splitlines()
    assert [json.loads(line)["text"] for line in log] == ["small"]


def test_the_log_is_capped_keeping_the_newest_whole_lines(short_dir: Path) -> None:
    cap = 64 * 1024
    with _director(_config(short_dir, max_log_bytes=cap)) as (_, director):
        for i in range(400):
            director.send(0, f"{i:04d} " + "y" * 1000)
    log = (short_dir / "log.jsonl").read_bytes()
    assert len(log) <= cap
    seqs = [json.loads(line)["seq"] for line in log.splitlines()]  # every line whole
    assert seqs[-1] == 400
    assert seqs == list(range(seqs[0], 401))
    with _director(_config(short_dir, max_log_bytes=cap)) as (_, director):
        assert director.send(0, "numbering goes on") == 401


def test_a_message_to_a_stopped_helper_is_refused(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    assert director.ask(op="stop", helper=one)["ok"]
    reply = director.ask(op="send", to=one, text="anyone there?")
    assert reply["code"] == "stopped"
    assert reply["error"] == f"helper {one} is stopped; respawn it first"


def test_broadcast_counts_only_live_helpers(hub: Any) -> None:
    director = hub.director()
    one, two = hub.spawn(director), hub.spawn(director)
    assert director.ask(op="stop", helper=one)["ok"]
    reply = director.ask(op="broadcast", text="all hands")
    assert reply["recipients"] == 1
    assert hub.as_helper(hub.token(two), "mailbox").recv()["text"] == "all hands"
    assert not hub.hub.helpers[one].pending, "nothing queued for the stopped helper"


def test_the_session_ending_leaves_helpers_recorded_as_stopped(
    short_dir: Path, recording_spawner: Any
) -> None:
    with HubRunner(_config(short_dir), recording_spawner) as runner:
        with HubClient(runner.socket_path, runner.director_token) as director:
            director.request("spawn")
        assert runner.hub.config.tree.read_state(1)["status"] == "running"
    # Recorded beside the stop (not in its way): a next hub in this process waits for it.
    with HubRunner(_config(short_dir, load_existing=False)):
        pass
    assert HelperTree(short_dir / "helpers").read_state(1)["status"] == "stopped"
    recorded = read_registry(registry_path(short_dir / "log.jsonl"))
    assert [(h["helper"], h["status"]) for h in recorded] == [(1, "stopped")]


def test_a_fifo_in_place_of_the_log_is_refused_not_waited_on(short_dir: Path) -> None:
    from kanibako_helpers import HelperError

    os.mkfifo(short_dir / "log.jsonl")
    started = time.monotonic()
    try:
        HubRunner(_config(short_dir)).start().stop()
    except HelperError as exc:
        assert "not a regular file" in str(exc) or "No such device" in str(exc)
    except OSError as exc:  # ENXIO: a FIFO with no reader cannot be opened for writing
        assert exc.errno == 6
    else:
        raise AssertionError("the hub started on a FIFO log")
    assert time.monotonic() - started < 2


def test_what_is_planted_where_the_common_tree_belongs_is_moved_aside(short_dir: Path) -> None:
    outside = short_dir / "outside"
    outside.mkdir()
    root = short_dir / "helpers"
    root.mkdir()
    (root / "all").symlink_to(outside)  # would make the host create dirs outside
    (root / "channels").write_text("a file")
    tree = HelperTree(root)
    moved = tree.ensure_common()
    assert len(moved) == 2 and all("moved to" in line for line in moved)
    assert (root / "all/ro/startup").is_dir() and not (root / "all").is_symlink()
    assert (root / "channels").is_dir()
    assert list(outside.iterdir()) == []
    with HubRunner(_config(short_dir)) as runner:  # and a launch goes on
        assert sorted(runner.hub.helpers) == [0]
