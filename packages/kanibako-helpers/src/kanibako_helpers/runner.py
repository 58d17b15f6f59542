"""Run the hub on its own event loop in a background thread, and stop it promptly.

Stopping wakes the loop through ``call_soon_threadsafe`` (no polling), closes
the listening socket and every connection, and joins the thread: the hub is
gone within milliseconds of the session ending.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
from pathlib import Path

from kanibako_helpers.errors import HelperError
from kanibako_helpers.hub import Hub
from kanibako_helpers.hub_connection import Connection
from kanibako_helpers.hub_state import HubConfig
from kanibako_helpers.session_dir import bind_listener
from kanibako_helpers.spawn import RunningHelper, Spawner


class HubRunner:
    """A hub serving on ``config.socket_path`` from a daemon thread."""

    def __init__(
        self,
        config: HubConfig,
        spawner: Spawner | None = None,
        listener: socket.socket | None = None,
    ) -> None:
        """``listener``: the socket at ``config.socket_path``, bound and listening already
        (connections made before the hub serves wait in its backlog)."""
        self.config = config
        self._listener = listener
        self.hub = Hub(config, spawner)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.left_running: list[RunningHelper] = []

    @property
    def director_token(self) -> str:
        """The token that acts as the director (helper 0)."""
        return self.hub.director_token

    @property
    def socket_path(self) -> Path:
        return self.config.socket_path

    def start(self) -> HubRunner:
        """Start serving; returns once the socket accepts connections (or raises)."""
        self.hub.open()
        self._thread = threading.Thread(target=self._run, name="kanibako-hub", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise HelperError(f"the helper hub could not start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start() through _error
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._stop = loop, asyncio.Event()
        path = self.config.socket_path
        listener = self._listener or bind_listener(path)
        server = await loop.create_unix_server(lambda: Connection(self.hub), sock=listener)
        try:
            # Everything alive now (the CLI's modules, the config) lives as
            # long as the session: out of the collector's sight, a full
            # collection later scans only what came after, not the whole
            # process, and cannot stall a message behind it for milliseconds.
            gc.freeze()
            self._ready.set()
            await self._stop.wait()
        finally:
            server.close()
            self.left_running = self.hub.close()
            for task in list(self.hub.tasks):
                task.cancel()
            with contextlib.suppress(OSError):
                path.unlink()

    def stop(self) -> list[RunningHelper]:
        """Stop serving and join the thread; returns helpers whose containers still run."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop already finished
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self.left_running

    def __enter__(self) -> HubRunner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
