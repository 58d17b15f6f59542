"""The allowlisting HTTP proxy: CONNECT for TLS, absolute-form requests for plain HTTP.

It listens on one Unix socket per container (the director is helper 0), so the
helper a request came from is known from the socket, not from anything the
container says. Everything from inside is hostile: the request head is bounded
and must arrive in time, tunnels end when idle, the number of connections is
capped, and a malformed request gets an error reply on its own connection only.
The proxy runs its own event loop on a daemon thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kanibako.session.egress.decision_log import DecisionLog
from kanibako.session.egress.destinations import IPAddress, normalize_ip
from kanibako.session.egress.forwarder import raise_file_limit
from kanibako.session.egress.http_head import REASONS, BadRequest, denial, parse_head, reply
from kanibako.session.egress.policy import Policy
from kanibako.session.egress.tunnel import HAS_SPLICE, PipePool, Tunnel, resolve

Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]
# Connections over the cap still waiting for their 503 (beyond: closed at once).
_MAX_REFUSING = 256


@dataclass(frozen=True)
class Limits:
    """The bounds a hostile client meets."""

    max_head_bytes: int = 32 * 1024
    head_timeout: float = 10.0
    connect_timeout: float = 10.0
    idle_timeout: float = 300.0
    max_connections: int = 1024
    chunk: int = 1024 * 1024  # the pipe size: 1 MiB measured 1.14x direct, 256 KiB 1.40x
    # How a tunnel moves bytes (bench/egress_bytepath.py compares them).
    byte_path: str = "splice" if HAS_SPLICE else "copy"
    byte_paths: ClassVar[tuple[str, ...]] = ("splice", "copy") if HAS_SPLICE else ("copy",)


async def system_resolver(host: str, port: int) -> Sequence[IPAddress]:
    """The host's own resolver (the container has none)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    found: dict[IPAddress, None] = {}
    for *_, sockaddr in infos:
        address = normalize_ip(str(sockaddr[0]).partition("%")[0])
        if address is not None:
            found[address] = None
    return list(found)


class EgressProxy:
    """One session's proxy: ``listen`` a socket per container, ``stop`` at teardown."""

    def __init__(
        self,
        policy: Policy,
        log: DecisionLog,
        limits: Limits | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.policy, self.log = policy, log
        self.limits = limits or Limits()
        self.resolver = resolver
        self.active = 0
        self.refusing = 0
        self._loop = asyncio.new_event_loop()
        self._servers: dict[int, tuple[socket.socket, Path]] = {}
        self._adopting: set[asyncio.Future[None]] = set()
        self._pipes: PipePool | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="egress", daemon=True)

    def start(self) -> EgressProxy:
        raise_file_limit()
        self._thread.start()
        return self

    def listen(self, path: Path, helper: int) -> None:
        """Serve ``path`` as helper ``helper``'s way out (0: the director)."""
        future = asyncio.run_coroutine_threadsafe(self._listen(path, helper), self._loop)
        future.result(timeout=10)

    def unlisten(self, helper: int) -> None:
        """Stop accepting for ``helper`` (its open connections end with it)."""
        asyncio.run_coroutine_threadsafe(self._unlisten(helper), self._loop).result(timeout=10)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        for helper in list(self._servers):
            self.unlisten(helper)
        future = asyncio.run_coroutine_threadsafe(self._cancel_all(), self._loop)
        with contextlib.suppress(Exception):
            future.result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
        if self._pipes is not None:
            self._pipes.close()

    def adopt(self, listener: socket.socket, path: Path, helper: int) -> None:
        """Serve ``listener``, bound and listening at ``path`` already, as helper ``helper``'s."""
        future = asyncio.run_coroutine_threadsafe(
            self._serve_listener(listener, path, helper), self._loop
        )
        future.result(timeout=10)

    async def _listen(self, path: Path, helper: int) -> None:
        from kanibako_helpers.session_dir import bind_listener

        await self._serve_listener(bind_listener(path), path, helper)

    async def _serve_listener(self, listener: socket.socket, path: Path, helper: int) -> None:
        listener.setblocking(False)
        self._servers[helper] = (listener, path)
        self._accepting(listener, helper)

    def _accepting(self, listener: socket.socket, helper: int) -> None:
        if self._servers.get(helper, (None,))[0] is listener:  # not unlistened meanwhile
            self._loop.add_reader(listener.fileno(), self._accept_ready, listener, helper)

    def _accept_ready(self, listener: socket.socket, helper: int) -> None:
        """Accept what is waiting, right here: no task in between that could drop a socket."""
        for _ in range(64):  # then let the loop serve others; it calls again if more wait
            try:
                conn, _ = listener.accept()
            except BlockingIOError:
                return
            except OSError:  # out of descriptors: let connections end, then go on
                self._loop.remove_reader(listener.fileno())
                self._loop.call_later(0.05, self._accepting, listener, helper)
                return
            self._adopt_soon(conn, helper)

    def _adopt_soon(self, conn: socket.socket, helper: int) -> None:
        conn.setblocking(False)
        over = self.active >= self.limits.max_connections
        if over and self.refusing >= _MAX_REFUSING:
            conn.close()  # a flood: not even a 503 each
            return
        if over:
            self.refusing += 1
        else:
            self.active += 1
        task = asyncio.ensure_future(self._adopt(conn, helper, over=over))
        self._adopting.add(task)
        task.add_done_callback(self._adopting.discard)
        # A task cancelled before it ran never closes its socket itself.
        task.add_done_callback(functools.partial(_close_after, conn))

    async def _adopt(self, conn: socket.socket, helper: int, *, over: bool) -> None:
        """Serve one connection: the TCP socket the forwarder passed, or ``conn`` itself.

        The forwarder accepts inside the container and hands the accepted socket
        over (one byte with SCM_RIGHTS), so the bytes cross one Python hop, not
        two. A client speaking HTTP on the Unix socket directly works too.
        Connections are counted from here: over the cap, the reply is a 503.
        """
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await self._adopted(conn, helper, over=over)
        finally:
            if over:
                self.refusing -= 1
            else:
                self.active -= 1

    async def _adopted(self, conn: socket.socket, helper: int, *, over: bool) -> None:
        try:
            client, prefix = await self._take_client(conn)
        except (OSError, TimeoutError):
            conn.close()
            return
        if client is not conn:
            conn.close()
        if over:
            await _send_and_close(
                client, reply(503, "Service Unavailable", "too many connections\n")
            )
            return
        await self._serve(client, helper, prefix)

    async def _take_client(self, conn: socket.socket) -> tuple[socket.socket, bytes]:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(conn.fileno(), resolve, ready)
        try:
            await asyncio.wait_for(ready, timeout=self.limits.head_timeout)
        finally:
            loop.remove_reader(conn.fileno())
        message, fds, _, _ = socket.recv_fds(conn, 1, 1)
        if not fds:
            if not message:
                raise OSError("closed before a request")
            return conn, message
        passed = _stream_socket(fds[0])
        passed.setblocking(False)
        return passed, message if message != b"\0" else b""

    async def _unlisten(self, helper: int) -> None:
        entry = self._servers.pop(helper, None)
        if entry is not None:
            listener, path = entry
            self._loop.remove_reader(listener.fileno())
            listener.close()
            path.unlink(missing_ok=True)

    async def _cancel_all(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, client: socket.socket, helper: int, prefix: bytes = b"") -> None:
        try:
            await self._handle(client, helper, prefix)
        except BadRequest as exc:
            status = REASONS.get(exc.status, "Error")
            await _send_and_close(client, reply(exc.status, status, f"kanibako: {exc}\n"))
        except (OSError, TimeoutError):
            pass
        except Exception as exc:  # one bad request never stops the proxy
            body = f"kanibako: the proxy could not handle this request ({type(exc).__name__})\n"
            await _send_and_close(client, reply(500, "Internal Server Error", body))
        finally:
            client.close()

    async def _read_head(self, client: socket.socket, prefix: bytes) -> tuple[bytes, bytes]:
        """The request head, and whatever the client sent after it (for upstream)."""
        loop = asyncio.get_running_loop()
        limit = self.limits.max_head_bytes
        received = bytearray(prefix)

        async def until_blank_line() -> int:
            while (end := received.find(b"\r\n\r\n")) < 0 and len(received) <= limit:
                data = await loop.sock_recv(client, limit + 4)
                if not data:
                    raise OSError("closed before the request head ended")
                received.extend(data)
            return end

        try:
            end = await asyncio.wait_for(until_blank_line(), timeout=self.limits.head_timeout)
        except TimeoutError:
            raise BadRequest(408, "the request head did not arrive in time") from None
        if end < 0 or end + 4 > limit:
            raise BadRequest(431, "the request head is too large")
        return bytes(received[: end + 4]), bytes(received[end + 4 :])

    async def _handle(self, client: socket.socket, helper: int, prefix: bytes) -> None:
        head, early = await self._read_head(client, prefix)
        target = parse_head(head)
        decision = self.policy.check_name(target.host, target.port, tunnel=target.tunnel)
        if decision is None:
            literal = normalize_ip(target.host)
            addresses = (
                [literal] if literal is not None else await self.resolver(target.host, target.port)
            )
            decision = self.policy.check_addresses(target.host, target.port, addresses)
        self.log.record(decision.destination, decision.verdict, helper, decision.reason)
        if decision.verdict == "deny" or decision.address is None:
            await _send_and_close(client, denial(decision))
            return
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if decision.address.version == 6 else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as upstream:
            upstream.setblocking(False)
            try:
                await asyncio.wait_for(
                    loop.sock_connect(upstream, (str(decision.address), target.port)),
                    timeout=self.limits.connect_timeout,
                )
            except (OSError, TimeoutError) as exc:
                body = f"kanibako: cannot reach {decision.destination}: {exc or 'timed out'}\n"
                await _send_and_close(client, reply(502, "Bad Gateway", body))
                return
            if target.head is None:
                await loop.sock_sendall(client, b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                await loop.sock_sendall(upstream, target.head)
            if early:
                await loop.sock_sendall(upstream, early)
            await self._tunnel(client, upstream)

    async def _tunnel(self, client: socket.socket, upstream: socket.socket) -> None:
        if self.limits.byte_path == "splice" and self._pipes is None:
            self._pipes = PipePool(self.limits.chunk)
        pipes = self._pipes if self.limits.byte_path == "splice" else None
        tunnel = Tunnel(client, upstream, idle_timeout=self.limits.idle_timeout, pipes=pipes)
        await tunnel.run()


def _close_after(conn: socket.socket, _: object) -> None:
    conn.close()


def _stream_socket(fd: int) -> socket.socket:
    """The passed descriptor as a socket, if it is a stream socket (else closed, OSError)."""
    try:
        passed = socket.socket(fileno=fd)
    except OSError:
        os.close(fd)
        raise
    if passed.type != socket.SOCK_STREAM:
        passed.close()
        raise OSError("the passed descriptor is not a stream socket")
    return passed


async def _send_and_close(client: socket.socket, data: bytes) -> None:
    """Send a whole reply, then close without a reset (unread bytes would make one)."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(loop.sock_sendall(client, data), timeout=5)
        client.shutdown(socket.SHUT_WR)
        await asyncio.wait_for(_discard_until_eof(client), timeout=1)
    client.close()


async def _discard_until_eof(client: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(64):  # at most 4 MiB: a client that keeps sending is simply closed
        if not await loop.sock_recv(client, 65536):
            return
