"""Routing: every message is logged before it is delivered; unconnected mailboxes queue.

Lines routed while one batch of input is handled are written to the log in
one write, then delivered; a queue per helper, and one for the whole hub, are
bounded in bytes (the oldest messages give way, the log keeps them).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kanibako_helpers.hub_state import HelperRecord, HubState, RequestError, message_text
from kanibako_helpers.protocol import MAX_MESSAGE_BYTES, encode

LIVE_STATUSES = frozenset({"director", "spawning", "running"})
"""Whoever is (or is about to be) there to read a message; its mailbox may still connect."""

if TYPE_CHECKING:
    from kanibako_helpers.hub_connection import Connection


class Routing(HubState):
    """The hub's message routing (``send``, ``broadcast``) and delivery."""

    def _op_send(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> dict[str, Any]:
        text = message_text(request)
        target = self._target(request.get("to"))
        if target.status not in LIVE_STATUSES:
            # Refused, not queued: nothing would read it, and a respawn starts afresh.
            raise RequestError(
                "stopped", f"helper {target.number} is {target.status}; respawn it first"
            )
        seq = self._route(caller.number, [target], target.number, text)
        return {"seq": seq}

    def _op_broadcast(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> dict[str, Any]:
        text = message_text(request)
        targets = [
            r for n, r in self.helpers.items() if n != caller.number and r.status in LIVE_STATUSES
        ]
        seq = self._route(caller.number, targets, "*", text)
        return {"seq": seq, "recipients": len(targets)}

    def _route(self, sender: int, targets: list[HelperRecord], to: int | str, text: str) -> int:
        seq = self.seq + 1
        entry = {"seq": seq, "ts": round(time.time(), 6), "from": sender, "to": to}
        entry["text"] = text
        line = encode(entry)
        if len(line) > MAX_MESSAGE_BYTES:
            raise RequestError(
                "too-large",
                f"message of {len(line)} bytes (as logged) is over the limit of"
                f" {MAX_MESSAGE_BYTES} bytes",
            )
        self.seq = seq
        if self.log is not None:
            self.log.add(line)
        event = b'{"event":"message",' + line[1:]
        self.deliveries.extend((record, event) for record in targets)
        return self.seq

    def end_batch(self) -> None:
        """Flush the log for everything routed in this batch, then deliver it."""
        self.flush_log()
        if not self.ready:
            return
        deliveries, self.ready = self.ready, []
        for record, event in deliveries:
            mailbox = record.mailbox
            if mailbox is not None and not mailbox.paused and not record.pending:
                mailbox.write(event)
            else:
                self._enqueue(record, event)

    def flush_log(self) -> bool:
        """Push buffered log lines to the file (one write for a whole batch); False on failure."""
        logged = self.log is None or self.log.flush()
        if logged:
            self.ready.extend(self.deliveries)
        # Messages that did not reach the log are not delivered either.
        self.deliveries.clear()
        return logged

    def _enqueue(self, record: HelperRecord, event: bytes) -> None:
        record.pending.append(event)
        record.pending_bytes += len(event)
        self.pending_total += len(event)
        while record.pending_bytes > self.config.max_pending_bytes:
            self._drop_oldest(record)
        if self.pending_total > self.config.max_pending_total:
            # Rare: trim the longest queues first until the whole hub fits again.
            by_size = sorted(self.helpers.values(), key=lambda r: -r.pending_bytes)
            for victim in by_size:
                while victim.pending and self.pending_total > self.config.max_pending_total:
                    self._drop_oldest(victim)

    def _drop_oldest(self, record: HelperRecord) -> None:
        # Memory stays bounded; the log keeps the record of what was dropped.
        size = len(record.pending.popleft())
        record.pending_bytes -= size
        self.pending_total -= size
        record.dropped += 1

    def flush_pending(self, record: HelperRecord) -> None:
        """Deliver queued messages to ``record``'s mailbox while it keeps up."""
        mailbox = record.mailbox
        if mailbox is None:
            return
        if record.dropped:
            mailbox.send({"event": "dropped", "count": record.dropped})
            record.dropped = 0
        while record.pending and not mailbox.paused and not mailbox.closed:
            event = record.pending.popleft()
            record.pending_bytes -= len(event)
            self.pending_total -= len(event)
            mailbox.write(event)
