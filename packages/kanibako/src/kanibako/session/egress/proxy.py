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
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kanibako.session.egress.decision_log import DecisionLog
from kanibako.session.egress.destinations import (
    DestinationError,
    IPAddress,
    normalize_host,
    normalize_ip,
    parse_port,
    split_host_port,
)
from kanibako.session.egress.forwarder import raise_file_limit
from kanibako.session.egress.policy import Decision, Policy

Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]
_HOP_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization", b"te"}
)


@dataclass(frozen=True)
class Limits:
    """The bounds a hostile client meets."""

    max_head_bytes: int = 32 * 1024
    head_timeout: float = 10.0
    connect_timeout: float = 10.0
    idle_timeout: float = 300.0
    max_connections: int = 1024
    chunk: int = 256 * 1024


class BadRequest(Exception):
    """A request the proxy answers with an error status and closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Target:
    """Where a request wants to go, and the head to send there (None for a tunnel)."""

    host: str
    port: int
    tunnel: bool
    head: bytes | None


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


def parse_head(head: bytes) -> Target:
    """The request line and headers of one request (raises BadRequest)."""
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise BadRequest(400, "the request line is not METHOD TARGET HTTP/1.x")
    method, target, version = (p.decode("latin-1") for p in parts)
    try:
        if method == "CONNECT":
            host, port_text = split_host_port(target)
            if port_text is None:
                raise BadRequest(400, "CONNECT needs host:port")
            return Target(normalize_host(host), parse_port(port_text, target), True, None)
        url = urlsplit(target)
        if url.scheme.lower() != "http" or not url.hostname or "@" in url.netloc:
            raise BadRequest(400, "only absolute http:// URLs (or CONNECT for https)")
        host_text, port_text = split_host_port(url.netloc)
        host = normalize_host(host_text)
        port = 80 if port_text is None else parse_port(port_text, url.netloc)
    except (DestinationError, ValueError) as exc:
        raise BadRequest(400, str(exc)) from None
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    kept = [line for line in lines[1:] if line.split(b":")[0].strip().lower() not in _HOP_HEADERS]
    request = f"{method} {path} {version}".encode("latin-1")
    rebuilt = b"\r\n".join([request, *kept, b"Connection: close"]) + b"\r\n\r\n"
    return Target(host, port, False, rebuilt)


def _reply(status: int, reason: str, body: str) -> bytes:
    data = body.encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + data


def denial(decision: Decision) -> bytes:
    """The 403 naming the destination and the command that allows it."""
    body = (
        f"kanibako: egress to {decision.destination} denied: {decision.reason}\n"
        f"to allow it, run on the host: {decision.allow_command}\n"
    )
    return _reply(403, "Forbidden", body)


_REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}


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
        self._loop = asyncio.new_event_loop()
        self._servers: dict[int, tuple[asyncio.Server, Path]] = {}
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

    async def _listen(self, path: Path, helper: int) -> None:
        path.unlink(missing_ok=True)

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._serve(reader, writer, helper)

        limit = self.limits.max_head_bytes
        server = await asyncio.start_unix_server(accept, str(path), limit=limit)
        path.chmod(0o600)
        self._servers[helper] = (server, path)

    async def _unlisten(self, helper: int) -> None:
        entry = self._servers.pop(helper, None)
        if entry is not None:
            server, path = entry
            server.close()
            path.unlink(missing_ok=True)

    async def _cancel_all(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, helper: int
    ) -> None:
        if self.active >= self.limits.max_connections:
            await _send_and_close(
                writer, _reply(503, "Service Unavailable", "too many connections\n")
            )
            return
        self.active += 1
        try:
            await self._handle(reader, writer, helper)
        except BadRequest as exc:
            reply = _reply(exc.status, _REASONS.get(exc.status, "Error"), f"kanibako: {exc}\n")
            await _send_and_close(writer, reply)
        except (OSError, asyncio.IncompleteReadError):
            pass
        except Exception as exc:  # one bad request never stops the proxy
            body = f"kanibako: the proxy could not handle this request ({type(exc).__name__})\n"
            await _send_and_close(writer, _reply(500, "Internal Server Error", body))
        finally:
            self.active -= 1
            writer.close()

    async def _read_head(self, reader: asyncio.StreamReader) -> bytes:
        try:
            return await asyncio.wait_for(
                reader.readuntil(b"\r\n\r\n"), timeout=self.limits.head_timeout
            )
        except asyncio.LimitOverrunError:
            raise BadRequest(431, "the request head is too large") from None
        except TimeoutError:
            raise BadRequest(408, "the request head did not arrive in time") from None
        except ValueError:  # the limit was hit inside readuntil's buffer
            raise BadRequest(431, "the request head is too large") from None

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, helper: int
    ) -> None:
        target = parse_head(await self._read_head(reader))
        decision = self.policy.check_name(target.host, target.port, tunnel=target.tunnel)
        if decision is None:
            literal = normalize_ip(target.host)
            addresses = (
                [literal] if literal is not None else await self.resolver(target.host, target.port)
            )
            decision = self.policy.check_addresses(target.host, target.port, addresses)
        self.log.record(decision.destination, decision.verdict, helper, decision.reason)
        if decision.verdict == "deny" or decision.address is None:
            await _send_and_close(writer, denial(decision))
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(str(decision.address), target.port),
                timeout=self.limits.connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            body = f"kanibako: cannot reach {decision.destination}: {exc or 'timed out'}\n"
            await _send_and_close(writer, _reply(502, "Bad Gateway", body))
            return
        try:
            if target.head is None:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                up_writer.write(target.head)
            await self._splice(reader, writer, up_reader, up_writer)
        finally:
            up_writer.close()

    async def _splice(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        loop = asyncio.get_running_loop()
        last = [loop.time()]

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while True:
                try:
                    data = await asyncio.wait_for(
                        source.read(self.limits.chunk), timeout=self.limits.idle_timeout
                    )
                except TimeoutError:
                    if loop.time() - last[0] < self.limits.idle_timeout:
                        continue  # the other direction is busy
                    raise
                if not data:
                    if sink.can_write_eof():
                        with contextlib.suppress(OSError):
                            sink.write_eof()
                    return
                last[0] = loop.time()
                sink.write(data)
                await sink.drain()

        tasks = [
            asyncio.ensure_future(pump(reader, up_writer)),
            asyncio.ensure_future(pump(up_reader, writer)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    return
            await asyncio.gather(*tasks)
        except (OSError, TimeoutError):
            return
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _send_and_close(writer: asyncio.StreamWriter, data: bytes) -> None:
    with contextlib.suppress(OSError):
        writer.write(data)
        await asyncio.wait_for(writer.drain(), timeout=5)
    writer.close()
