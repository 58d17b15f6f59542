"""The byte path of an established tunnel: two sockets, both directions, on the proxy's loop.

``splice`` (Linux) moves the bytes socket -> pipe -> socket inside the kernel:
Python only sees counts. ``copy`` reads into one preallocated buffer and
writes from a memoryview of it, with no allocation per read. Both try the
system call first and wait on the event loop only when it would block, so a
busy tunnel costs no wakeups. Pipes are borrowed from a pool only while they
hold bytes: idle tunnels hold none (they would count against the user's pipe
buffer limit), and a pipe goes back empty or is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket
from collections.abc import Callable

# Free pipes kept for reuse (beyond: closed); each counts against the user's pipe quota.
_POOL_SIZE = 8
_SPLICE_FLAGS = getattr(os, "SPLICE_F_MOVE", 0) | getattr(os, "SPLICE_F_NONBLOCK", 0)
HAS_SPLICE = hasattr(os, "splice")


class PipePool:
    """Empty pipes to splice through, sized to ``chunk`` where the kernel lets us."""

    def __init__(self, chunk: int) -> None:
        self.chunk = chunk
        self._free: list[tuple[int, int]] = []

    def take(self) -> tuple[int, int]:
        if self._free:
            return self._free.pop()
        read_end, write_end = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        with contextlib.suppress(OSError):  # over the user's pipe quota: the default size
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, self.chunk)
        return read_end, write_end

    def give(self, pipe: tuple[int, int]) -> None:
        if len(self._free) < _POOL_SIZE:
            self._free.append(pipe)
        else:
            _close_pipe(pipe)

    def close(self) -> None:
        while self._free:
            _close_pipe(self._free.pop())


def _close_pipe(pipe: tuple[int, int]) -> None:
    for fd in pipe:
        os.close(fd)


class Tunnel:
    """Both directions between ``client`` and ``upstream`` until EOF both ways, an error or idle."""

    def __init__(
        self,
        client: socket.socket,
        upstream: socket.socket,
        *,
        idle_timeout: float,
        pipes: PipePool | None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.sockets = (client, upstream)
        self.idle_timeout = idle_timeout
        self.pipes = pipes
        self.last = self.loop.time()

    async def run(self) -> None:
        client, upstream = self.sockets
        tasks = [
            asyncio.ensure_future(self._pump(client, upstream)),
            asyncio.ensure_future(self._pump(upstream, client)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            if all(task.exception() is None for task in done):
                await asyncio.gather(*tasks)
        except (OSError, TimeoutError):
            return
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        if self.pipes is not None:
            await self._pump_splice(source.fileno(), sink.fileno(), self.pipes)
        else:
            await self._pump_copy(source, sink)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    async def _pump_splice(self, source: int, sink: int, pipes: PipePool) -> None:
        chunk = pipes.chunk
        while True:
            pipe = pipes.take()
            try:
                held = os.splice(source, pipe[1], chunk, flags=_SPLICE_FLAGS)
            except BlockingIOError:
                pipes.give(pipe)
                await self._readable(source)
                continue
            except BaseException:
                pipes.give(pipe)
                raise
            if held == 0:
                pipes.give(pipe)
                return
            self.last = self.loop.time()
            try:
                while held:
                    try:
                        held -= os.splice(pipe[0], sink, held, flags=_SPLICE_FLAGS)
                    except BlockingIOError:
                        await self._writable(sink)
            except BaseException:
                _close_pipe(pipe)  # bytes left in it: never reuse
                raise
            pipes.give(pipe)

    async def _pump_copy(self, source: socket.socket, sink: socket.socket) -> None:
        buffer = bytearray(256 * 1024)
        view = memoryview(buffer)
        while True:
            try:
                got = source.recv_into(buffer)
            except BlockingIOError:
                await self._readable(source.fileno())
                continue
            if got == 0:
                return
            self.last = self.loop.time()
            sent = 0
            while sent < got:
                try:
                    sent += sink.send(view[sent:got])
                except BlockingIOError:
                    await self._writable(sink.fileno())

    async def _readable(self, fd: int) -> None:
        """Wait until ``fd`` can be read; idle only when neither direction moved."""
        while True:
            left = self.last + self.idle_timeout - self.loop.time()
            if left <= 0:
                raise TimeoutError
            try:
                await self._ready(self.loop.add_reader, self.loop.remove_reader, fd, left)
                return
            except TimeoutError:
                continue  # the other direction moved meanwhile, or it is idle now

    async def _writable(self, fd: int) -> None:
        """Wait until ``fd`` takes bytes: a sink that takes none for the idle time ends it."""
        await self._ready(self.loop.add_writer, self.loop.remove_writer, fd, self.idle_timeout)

    async def _ready(
        self,
        add: Callable[..., object],
        remove: Callable[[int], object],
        fd: int,
        timeout: float,
    ) -> None:
        ready: asyncio.Future[None] = self.loop.create_future()
        add(fd, resolve, ready)
        timer = self.loop.call_later(timeout, _expire, ready)
        try:
            await ready
        finally:
            timer.cancel()
            remove(fd)


def resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())
