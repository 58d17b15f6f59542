"""Control: spawning, respawning, stopping and removing helpers.

The hub checks budgets and ancestry itself; the blocking work (creating the
tree, the spawner, stopping containers) runs in a worker thread so the event
loop never waits on it.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from kanibako_helpers.budget import child_budget, free_child_number
from kanibako_helpers.errors import BudgetExceeded
from kanibako_helpers.hub_state import (
    MODEL_PATTERN,
    HelperRecord,
    HubState,
    RequestError,
    optional_int,
)
from kanibako_helpers.layout import (
    CONTAINER_HELPERS,
    CONTAINER_HOME,
    CONTAINER_LOG,
    CONTAINER_SOCKET,
    INIT_SCRIPT_NAME,
)
from kanibako_helpers.numbering import DIRECTOR, is_descendant
from kanibako_helpers.protocol import MAX_TEXT
from kanibako_helpers.spawn import BindMount, RunningHelper, SpawnRequest

if TYPE_CHECKING:
    from kanibako_helpers.hub_connection import Connection

_MAX_COMMAND_WORDS = 256


def _command(request: dict[str, Any]) -> tuple[str, ...]:
    """The ``command`` of a spawn request (``spawn -c``): a short list of strings, or nothing."""
    value = request.get("command")
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or not value
        or len(value) > _MAX_COMMAND_WORDS
        or not all(isinstance(word, str) and "\0" not in word for word in value)
        or sum(len(word) for word in value) > MAX_TEXT
    ):
        raise RequestError("bad-request", "command must be a short, non-empty list of strings")
    return tuple(value)


class Control(HubState):
    """The hub's control requests and the container work behind them."""

    def _op_spawn(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        if self.spawner is None:
            raise RequestError("unavailable", "this session cannot spawn helpers")
        depth, breadth = optional_int(request, "depth"), optional_int(request, "breadth")
        model = request.get("model")
        if model is not None and (
            not isinstance(model, str) or MODEL_PATTERN.fullmatch(model) is None
        ):
            raise RequestError("bad-request", "model must be a short name like 'sonnet'")
        try:
            budget = child_budget(caller.budget, depth, breadth)
            number = free_child_number(caller.number, caller.budget, self.helpers, self.base)
        except BudgetExceeded as exc:
            raise RequestError("budget", str(exc)) from exc
        record = HelperRecord(
            number=number,
            parent=caller.number,
            budget=budget,
            model=model or caller.model,
            token=secrets.token_hex(32),
            status="spawning",
            command=_command(request),
        )
        self._add(record)
        self._start(conn, rid, record, fresh=True)

    def _op_respawn(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        if self.spawner is None:
            raise RequestError("unavailable", "this session cannot spawn helpers")
        if request.get("all") is True:
            # Every descendant that was running when the last session died, parents
            # first (a child's tree lies in its parent's channels).
            records = [
                r
                for n, r in sorted(self.helpers.items())
                if r.status == "interrupted" and is_descendant(n, caller.number, self.base)
            ]
            resumed = [(record, self._respawning(record)) for record in records]
            self._background(conn, rid, self._respawn_all(resumed))
            return
        record = self._descendant(caller, request)
        if record.status not in ("stopped", "failed", "interrupted"):
            raise RequestError("state", f"helper {record.number} is {record.status}")
        resume = self._respawning(record)
        self._background(conn, rid, self._spawn(record, fresh=False, resume=resume))

    def _respawning(self, record: HelperRecord) -> bool:
        """Mark ``record`` spawning with a fresh token; True when it continues its conversation."""
        resume = record.status == "interrupted"
        # A fresh token: whatever held the old one is not the new container.
        self.tokens.pop(record.token, None)
        record.token = secrets.token_hex(32)
        self.tokens[record.token] = record.number
        record.status = "spawning"
        return resume

    async def _respawn_all(self, records: list[tuple[HelperRecord, bool]]) -> dict[str, Any]:
        done, failed = [], []
        for record, resume in records:
            try:
                await self._spawn(record, fresh=False, resume=resume)
            except Exception as exc:  # one helper failing must not keep the others down
                failed.append(f"helper {record.number}: {exc}")
            else:
                done.append(record.number)
        if failed:
            raise RequestError("failed", "; ".join(failed))
        return {"helpers": done}

    def _op_stop(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        record = self._descendant(caller, request)
        if record.status not in ("running", "failed"):
            raise RequestError("state", f"helper {record.number} is {record.status}")
        self._background(conn, rid, self._stop_records([record], remove=False))

    def _op_cleanup(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        record = self._descendant(caller, request)
        below = [
            r for r in self.helpers.values() if is_descendant(r.number, record.number, self.base)
        ]
        if below and request.get("cascade") is not True:
            raise RequestError(
                "state",
                f"helper {record.number} has {len(below)} helper(s) below it; use --cascade",
            )
        if record.status == "spawning" or any(r.status == "spawning" for r in below):
            raise RequestError("state", f"helper {record.number} is still spawning")
        # Deepest first, so no helper outlives its parent's directory.
        ordered = [*sorted(below, key=lambda r: -r.number), record]
        self._background(conn, rid, self._stop_records(ordered, remove=True))

    # -- spawning and stopping (blocking work runs in a worker thread) -----
    def _background(self, conn: Connection, rid: object, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._answer(conn, rid, work)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, conn: Connection, rid: object, work: Any) -> None:
        try:
            reply = await work
        except RequestError as exc:
            conn.reply_error(rid, exc.code, str(exc))
        except Exception as exc:  # the spawner is foreign code: report, never crash the hub
            conn.reply_error(rid, "failed", str(exc) or type(exc).__name__)
        else:
            conn.send({"ok": True, "id": rid, **reply})

    def _start(self, conn: Connection, rid: object, record: HelperRecord, fresh: bool) -> None:
        self._background(conn, rid, self._spawn(record, fresh))

    async def _spawn(
        self, record: HelperRecord, fresh: bool, resume: bool = False
    ) -> dict[str, Any]:
        parent = record.parent if record.parent is not None else DIRECTOR
        siblings = [
            r.number for r in self.helpers.values() if r.parent == parent and r is not record
        ]
        loop = asyncio.get_running_loop()
        try:
            running, peers = await loop.run_in_executor(
                self.executor, self._spawn_blocking, record, siblings, resume
            )
        except BaseException:
            if fresh:
                self._forget(record)
            else:
                # An interrupted helper stays one: its conversation is still to continue.
                record.status = "interrupted" if resume else "failed"
                # Rare, and the loop may be cancelled here: written in place.
                self._save_state(record)
                self.write_registry(self.registry_snapshot())
            raise
        if self.helpers.get(record.number) is not record:
            # Cleaned up while starting: do not leave the container behind.
            await loop.run_in_executor(self.executor, running.stop)
            raise RequestError("state", f"helper {record.number} was removed while starting")
        record.running, record.peers, record.status = running, peers, "running"
        record.recorded = True
        for peer in peers:
            other = self.helpers.get(peer)
            if other is not None and record.number not in other.peers:
                other.peers.append(record.number)
        await self.record(record)
        return {"helper": record.number}

    def _spawn_blocking(
        self, record: HelperRecord, siblings: list[int], resume: bool = False
    ) -> tuple[RunningHelper, list[int]]:
        if self.spawner is None:
            raise RequestError("unavailable", "this session cannot spawn helpers")
        tree = self.config.tree
        parent = record.parent if record.parent is not None else DIRECTOR
        with self.tree_lock:  # concurrent spawns share channel directories
            peers = tree.create_helper(
                record.number,
                parent,
                record.budget,
                record.model,
                siblings,
                self.config.init_script,
            )
        self._write_token(record)
        self._save_state(record, peers=peers, status="starting")
        inside = f"{CONTAINER_HELPERS}/{record.number}"
        home = self._home(record.number)
        homes: list[BindMount] = []
        if home is not None:
            # The helper's own writable home: an image's /home/agent is not
            # writable by the host user a rootless (keep-id) container runs as.
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
            homes.append(BindMount(home, CONTAINER_HOME))
        mounts = [
            *homes,
            *tree.mounts_for(record.number, peers),
            BindMount(self.token_file(record.number), f"{inside}/spawn.toml", read_only=True),
            BindMount(self.config.socket_path, CONTAINER_SOCKET),
            BindMount(self.config.log_path, CONTAINER_LOG, read_only=True),
            *self.config.common_mounts,
        ]
        env = dict(self.config.common_env)
        env |= {
            "KANIBAKO_HELPER": str(record.number),
            "KANIBAKO_HELPER_CONFIG": f"{inside}/spawn.toml",
            "KANIBAKO_HUB_SOCKET": CONTAINER_SOCKET,
            "KANIBAKO_HELPER_LOG": CONTAINER_LOG,
        }
        if record.model:
            env["KANIBAKO_MODEL"] = record.model
        request = SpawnRequest(
            helper=record.number,
            parent=parent,
            depth=record.budget.depth,
            breadth=record.budget.breadth,
            model=record.model,
            container_name=f"{self.config.container_prefix}-{record.number}",
            mounts=tuple(mounts),
            env=env,
            command=("/bin/sh", f"{inside}/playbook/scripts/{INIT_SCRIPT_NAME}"),
            agent_command=record.command,
            resume=resume,
        )
        return self.spawner(request), peers

    def _remove_tree(self, number: int) -> None:
        with self.tree_lock:
            self.config.tree.remove_helper(number, self.config.remove_tree)
            home = self._home(number)
            if home is not None and home.is_dir() and not home.is_symlink():
                self.config.remove_tree(home)

    async def _stop_records(self, records: list[HelperRecord], remove: bool) -> dict[str, Any]:
        """Stop every container at once, then record the outcome (and remove, deepest first)."""
        loop = asyncio.get_running_loop()
        stops = []
        for record in records:
            running, record.running = record.running, None
            record.status = "stopping"
            if record.mailbox is not None:
                record.mailbox.close()
            if running is not None:
                stops.append((record, loop.run_in_executor(self.executor, running.stop)))
        outcomes = await asyncio.gather(*(f for _, f in stops), return_exceptions=True)
        failed = {
            record.number: outcome
            for (record, _), outcome in zip(stops, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        }
        done = []
        for record in records:
            if record.number in failed:
                record.status = "failed"
                await self.record(record)
                continue
            if remove:
                self._forget(record)
                for other in self.helpers.values():
                    if record.number in other.peers:
                        other.peers.remove(record.number)
                await self.record(None)
                await loop.run_in_executor(self.executor, self._remove_tree, record.number)
            else:
                record.status = "stopped"
                await self.record(record)
            done.append(record.number)
        if failed:
            reasons = "; ".join(f"helper {n}: {exc}" for n, exc in sorted(failed.items()))
            raise RequestError("failed", f"could not stop {reasons}")
        return {"helpers": done}
