"""Every hub rule, attacked through raw sockets as an untrusted helper would."""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from kanibako_helpers import read_helper_config
from kanibako_helpers.protocol import MAX_LINE, MAX_STRIKES


def test_socket_is_mode_0600(hub: Any) -> None:
    assert stat.S_IMODE(hub.runner.socket_path.stat().st_mode) == 0o600


def test_identity_comes_from_the_token_not_from_claims(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    raw = hub.raw()
    reply = raw.ask(op="hello", token=hub.token(one), helper=0, role="command", **{"from": 0})
    assert reply["helper"] == one
    assert raw.ask(op="whoami", helper=0)["helper"] == one
    mailbox = hub.director("mailbox")
    raw.send({"op": "send", "to": 0, "text": "hi", "from": 0, "sender": 0})
    event = mailbox.recv()
    assert event["from"] == one


def test_unknown_token_is_refused_and_disconnected(hub: Any) -> None:
    raw = hub.raw()
    reply = raw.ask(op="hello", token="0" * 64, role="command")
    assert reply == {"ok": False, "id": 1, "code": "auth", "error": "unknown token"}
    assert raw.is_closed()


def test_claiming_a_number_without_hello_is_refused(hub: Any) -> None:
    raw = hub.raw()
    reply = raw.ask(op="send", to=1, text="x", helper=0)
    assert not reply["ok"]
    assert "hello" in reply["error"]


def test_second_registration_of_a_live_helper_is_refused(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    hub.as_helper(hub.token(one), "mailbox")
    replay = hub.raw()
    reply = replay.ask(op="hello", token=hub.token(one), role="mailbox")
    assert reply["code"] == "registered"
    assert replay.is_closed()


def test_registration_is_possible_again_after_the_mailbox_disconnects(hub: Any) -> None:
    first = hub.director("mailbox")
    first.close()
    deadline = time.monotonic() + 5
    while hub.hub.helpers[0].mailbox is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hub.director("mailbox") is not None


def test_over_budget_depth_is_refused_by_the_hub(hub: Any) -> None:
    director = hub.director()
    reply = director.ask(op="spawn", depth=5)
    assert reply["code"] == "budget"
    assert hub.spawner.started == []


def test_over_budget_breadth_is_refused(hub: Any) -> None:
    director = hub.director()
    hub.spawn(director)
    hub.spawn(director)
    reply = director.ask(op="spawn")
    assert reply["code"] == "budget"
    assert len(hub.spawner.started) == 2


def test_a_leaf_helper_cannot_spawn(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    child = hub.as_helper(hub.token(one))
    grandchild = hub.spawn(child)
    assert grandchild == 3
    leaf = hub.as_helper(hub.token(grandchild))
    assert leaf.ask(op="spawn", depth=0)["code"] == "budget"


def test_concurrent_spawns_never_share_a_number(hub: Any) -> None:
    director = hub.director()
    director.send({"op": "spawn", "id": 1})
    director.send({"op": "spawn", "id": 2})
    director.send({"op": "spawn", "id": 3})
    replies = sorted((director.recv() for _ in range(3)), key=lambda r: r["id"])
    numbers = [r.get("helper") for r in replies if r["ok"]]
    assert sorted(numbers) == [1, 2]
    assert [r["code"] for r in replies if not r["ok"]] == ["budget"]


def test_spawn_request_carries_token_file_socket_and_budget(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director, model="sonnet", depth=0, breadth=1)
    request = hub.spawner.started[0].request
    assert (request.helper, request.parent, request.depth, request.breadth) == (one, 0, 0, 1)
    assert request.model == "sonnet"
    spawn_toml = next(m for m in request.mounts if m.target.endswith(f"/{one}/spawn.toml"))
    assert spawn_toml.read_only
    assert read_helper_config(spawn_toml.source).token == hub.token(one)
    assert stat.S_IMODE(spawn_toml.source.stat().st_mode) == 0o600
    assert request.env["KANIBAKO_HELPER"] == str(one)
    home = next(m for m in request.mounts if m.target == "/home/agent")
    assert home.source == hub.root / "homes" / str(one)
    assert home.source.is_dir()
    assert hub.hub.config.tree.read_state(one)["status"] == "running"


def test_a_failing_spawner_is_reported_and_frees_the_slot(hub: Any) -> None:
    director = hub.director()
    hub.spawner.fail_next = "engine exploded"
    reply = director.ask(op="spawn")
    assert reply == {"ok": False, "id": 1, "code": "failed", "error": "engine exploded"}
    assert hub.spawn(director) == 1


def test_stopping_a_non_descendant_is_refused(hub: Any) -> None:
    director = hub.director()
    one, two = hub.spawn(director), hub.spawn(director)
    sibling = hub.as_helper(hub.token(one))
    for op in ("stop", "cleanup", "respawn"):
        assert sibling.ask(op=op, helper=two)["code"] == "forbidden", op
    assert sibling.ask(op="stop", helper=0)["code"] == "forbidden"
    assert sibling.ask(op="stop", helper=one)["code"] == "forbidden"
    assert not hub.spawner.started[1].stopped.is_set()


def test_stop_and_cleanup_of_unknown_helpers_are_refused(hub: Any) -> None:
    director = hub.director()
    assert director.ask(op="stop", helper=99)["code"] == "unknown-helper"
    assert director.ask(op="cleanup", helper="1")["code"] == "bad-request"


def test_parent_stops_and_respawns_its_child(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    old_token = hub.token(one)
    assert director.ask(op="stop", helper=one)["ok"]
    assert hub.spawner.started[0].stopped.is_set()
    assert hub.hub.helpers[one].status == "stopped"
    assert director.ask(op="respawn", helper=one)["ok"]
    assert len(hub.spawner.started) == 2
    assert hub.token(one) != old_token
    stale = hub.raw()
    assert stale.ask(op="hello", token=old_token)["code"] == "auth"


def test_cleanup_needs_cascade_when_descendants_exist(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    grandchild = hub.spawn(hub.as_helper(hub.token(one)))
    reply = director.ask(op="cleanup", helper=one)
    assert reply["code"] == "state"
    assert "--cascade" in reply["error"]
    reply = director.ask(op="cleanup", helper=one, cascade=True)
    assert reply["ok"]
    assert reply["helpers"] == [grandchild, one]
    assert set(hub.hub.helpers) == {0}
    assert not (hub.root / "home/helpers" / str(one)).exists()
    assert not (hub.root / "homes" / str(one)).exists()
    assert all(h.stopped.is_set() for h in hub.spawner.started)


def test_oversized_line_gets_an_error_then_repeats_disconnect(hub: Any) -> None:
    raw = hub.director()
    big = b"x" * (MAX_LINE + 10) + b"\n"
    raw.send(big)
    reply = raw.recv()
    assert not reply["ok"]
    assert "longer" in reply["error"]
    assert raw.ask(op="whoami")["ok"], "still usable after one oversized line"
    try:
        for _ in range(MAX_STRIKES):
            raw.send(big)
    except OSError:
        pass  # the hub hung up while we were still sending: that is the rule
    assert raw.is_closed()
    assert len(hub.hub.connections) == 0


def test_endless_line_without_newline_keeps_memory_bounded(hub: Any) -> None:
    raw = hub.director()
    chunk = b"y" * (256 * 1024)
    try:
        for _ in range(40):  # 10 MiB, no newline
            raw.sock.sendall(chunk)
    except OSError:
        pass  # the hub may already have hung up on us, which is fine
    conns = list(hub.hub.connections)
    assert all(len(c.buffer) <= MAX_LINE + 256 * 1024 for c in conns)


def test_invalid_json_flood_is_answered_then_disconnected(hub: Any) -> None:
    raw = hub.director()
    raw.send(b"{not json\n" * 50)
    errors = [raw.recv() for _ in range(MAX_STRIKES)]
    assert all(e["code"] == "bad-request" for e in errors)
    assert raw.is_closed()


def test_malformed_fields_never_kill_the_hub(hub: Any) -> None:
    raw = hub.director()
    hostile = [
        {"op": None},
        {"op": ["send"]},
        {"op": "send", "to": True, "text": "x"},
        {"op": "send", "to": 1.5, "text": "x"},
        {"op": "send", "to": 0, "text": {"a": 1}},
        {"op": "spawn", "depth": "1"},
        {"op": "spawn", "depth": 10**30},
        {"op": "spawn", "model": "../../etc; rm -rf /"},
        {"op": "stop", "helper": None},
        {"op": "cleanup", "helper": -1},
        {"op": "send", "to": 0, "text": "x", "id": {"nested": 1}},
    ]
    deep = b"[" * 200_000 + b"\n"
    fresh = hub.director()
    fresh.send(deep)
    assert fresh.recv()["error"] == "invalid JSON"
    fresh.send(b"\xff\xfe{}\n")
    assert fresh.recv()["error"] == "invalid JSON"
    for request in hostile:
        fresh = hub.director()
        fresh.send(request)
        if "id" not in request:
            assert fresh.recv()["ok"] is False, request
    assert raw.ask(op="whoami")["helper"] == 0


def test_messages_to_an_offline_helper_are_delivered_on_connect(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    for i in range(3):
        assert director.ask(op="send", to=one, text=f"m{i}")["ok"]
    log = (hub.root / "log/helper-messages.jsonl").read_text().splitlines()
    assert [json.loads(line)["text"] for line in log] == ["m0", "m1", "m2"]
    mailbox = hub.as_helper(hub.token(one), "mailbox")
    assert [mailbox.recv()["text"] for _ in range(3)] == ["m0", "m1", "m2"]


def test_broadcast_reaches_everyone_but_the_sender_and_logs_a_star(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    box_one = hub.as_helper(hub.token(one), "mailbox")
    box_zero = hub.director("mailbox")
    sender = hub.as_helper(hub.token(hub.spawn(director)))
    assert sender.ask(op="broadcast", text="all hands")["recipients"] == 2
    assert box_one.recv()["text"] == "all hands"
    event = box_zero.recv()
    assert (event["to"], event["text"]) == ("*", "all hands")


def test_log_is_written_before_delivery(hub: Any) -> None:
    director = hub.director()
    box = hub.director("mailbox")
    director.send({"op": "send", "to": 0, "text": "first"})
    event = box.recv()
    log = (hub.root / "log/helper-messages.jsonl").read_bytes().splitlines()
    assert json.loads(log[-1])["seq"] == event["seq"]


def test_slow_receiver_never_stalls_senders(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    slow = hub.as_helper(hub.token(one), "mailbox")
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    fast_box = hub.director("mailbox")
    text = "z" * 4000
    start = time.monotonic()
    for _ in range(2000):  # 8 MB to a receiver that never reads
        director.send({"op": "send", "to": one, "text": text})
    director.send({"op": "send", "to": 0, "text": "still flowing"})
    assert fast_box.recv()["text"] == "still flowing"
    assert time.monotonic() - start < 30
    record = hub.hub.helpers[one]
    assert record.pending_bytes <= hub.hub.config.max_pending_bytes


def test_overflowing_queue_drops_oldest_and_says_so(hub: Any) -> None:
    director = hub.director()
    one = hub.spawn(director)
    text = "q" * 1000
    for i in range(200):  # ~200 KB against a 64 KiB queue
        director.send({"op": "send", "to": one, "text": f"{i}:{text}"})
    assert director.ask(op="whoami")["ok"]
    mailbox = hub.as_helper(hub.token(one), "mailbox")
    notice = mailbox.recv()
    assert notice["event"] == "dropped"
    assert notice["count"] > 0
    first = mailbox.recv()
    assert first["text"].startswith(f"{notice['count']}:")


def test_sending_to_an_unknown_helper_is_refused(hub: Any) -> None:
    director = hub.director()
    assert director.ask(op="send", to=42, text="x")["code"] == "unknown-helper"


def test_hub_stop_removes_the_socket(hub: Any, short_dir: Path) -> None:
    hub.director("mailbox")
    hub.runner.stop()
    assert not (short_dir / "hub.sock").exists()


def test_connection_flood_is_refused_beyond_the_limit(hub: Any, monkeypatch: Any) -> None:
    import kanibako_helpers.hub_connection as hub_module

    monkeypatch.setattr(hub_module, "MAX_CONNECTIONS", 4)
    kept = [hub.raw() for _ in range(4)]
    extra = hub.raw()
    assert extra.recv()["code"] == "busy"
    assert extra.is_closed()
    assert kept[0].ask(op="hello", token=hub.runner.director_token)["ok"]


def test_a_message_that_cannot_be_logged_is_not_delivered(hub: Any) -> None:
    director = hub.director()
    mailbox = hub.director("mailbox")
    from kanibako_helpers.hub import MessageLog

    # /dev/full fails every write with ENOSPC, like a full disk (the log
    # itself refuses to open a device, so it is put under a real log's fd).
    full = MessageLog(hub.root / "full.jsonl")
    os.dup2(os.open("/dev/full", os.O_WRONLY), full.fd)
    real_log, hub.hub.log = hub.hub.log, full
    try:
        reply = director.ask(op="send", to=0, text="unrecorded")
        assert reply == {
            "ok": False, "id": 1, "code": "failed", "error": "the message log cannot be written"
        }  # fmt: skip
        # The reply precedes the end of the hub's batch: one more round trip
        # makes sure the batch (and its dropped delivery) is over.
        assert director.ask(op="whoami")["ok"]
    finally:
        hub.hub.log = real_log
    director.send({"op": "send", "to": 0, "text": "recorded"})
    assert mailbox.recv()["text"] == "recorded"


def test_a_client_that_never_reads_replies_is_paused_not_buffered(hub: Any) -> None:
    raw = hub.director()
    raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = json.dumps({"op": "whoami", "id": "x" * 60}).encode() + b"\n"
    raw.sock.settimeout(2)
    sent = 0
    try:
        while sent < 200_000:  # ~13 MB of requests whose replies nobody reads
            raw.sock.sendall(request * 100)
            sent += 100
    except TimeoutError:
        pass  # the hub stopped reading us: that is the rule
    conn = next(c for c in hub.hub.connections if c.helper is not None and c.role == "command")
    assert conn.transport.get_write_buffer_size() < 4 * 1024 * 1024
    other = hub.director()
    assert other.ask(op="whoami")["ok"]


def test_a_token_of_one_session_means_nothing_to_another(hub: Any) -> None:
    import shutil
    import tempfile

    from kanibako_helpers import HelperTree, HubClient, HubConfig, HubRefused, HubRunner

    other_dir = Path(tempfile.mkdtemp(prefix="kbh2-", dir="/tmp"))
    try:
        config = HubConfig(
            socket_path=other_dir / "hub.sock",
            log_path=other_dir / "log.jsonl",
            tree=HelperTree(other_dir / "helpers"),
            token_dir=other_dir / "tokens",
        )
        with HubRunner(config) as other:
            director = hub.director()
            one = hub.spawn(director)
            for token in (hub.runner.director_token, hub.token(one)):
                with pytest.raises(HubRefused, match="unknown token"):
                    HubClient(other.socket_path, token)
            with HubClient(other.socket_path, other.director_token) as own:
                assert own.request("list")["helpers"][0]["helper"] == 0
    finally:
        shutil.rmtree(other_dir, ignore_errors=True)


def test_cascade_stops_all_and_reports_a_failed_stop(hub: Any) -> None:
    director = hub.director()
    one, two = hub.spawn(director), hub.spawn(director)
    hub.spawner.started[1].fail_stop = "engine hung"
    reply = director.ask(op="stop", helper=two)
    assert reply["code"] == "failed"
    assert "helper 2: engine hung" in reply["error"]
    assert hub.hub.helpers[two].status == "failed"
    grandchild = hub.spawn(hub.as_helper(hub.token(one)))
    reply = director.ask(op="cleanup", helper=one, cascade=True)
    assert reply["helpers"] == [grandchild, one]
    assert hub.spawner.started[2].stopped.is_set()
    assert director.ask(op="stop", helper=two)["ok"], "a failed helper can be stopped again"


def test_all_queues_together_stay_within_the_hub_bound(hub: Any) -> None:
    director = hub.director()
    helpers = [hub.spawn(director), hub.spawn(director)]
    grandchildren = [hub.spawn(hub.as_helper(hub.token(n))) for n in helpers]
    text = "b" * 1000
    for _ in range(100):  # 4 offline helpers x 100 KB against a 160 KiB hub bound
        director.send({"op": "broadcast", "text": text})
    assert director.ask(op="whoami")["ok"]
    queued = [hub.hub.helpers[n].pending_bytes for n in [*helpers, *grandchildren]]
    assert sum(queued) <= 160 * 1024
    assert hub.hub.pending_total == sum(queued)
    assert all(size <= 64 * 1024 for size in queued)
    mailbox = hub.as_helper(hub.token(helpers[0]), "mailbox")
    assert mailbox.recv()["event"] == "dropped"
    assert hub.hub.helpers[helpers[0]].pending_bytes == 0 or mailbox.recv()["event"] == "message"


def test_errors_quote_client_values_briefly(hub: Any) -> None:
    raw = hub.director()
    reply = raw.ask(op="x" * 100_000)
    assert reply["code"] == "bad-request"
    assert len(reply["error"]) < 100
