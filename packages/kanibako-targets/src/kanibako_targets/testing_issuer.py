"""A token issuer on the host's loopback, standing in for a provider's in tests.

Tests of a credential's ``same_account`` check must never reach a real
provider; this is a real HTTP server on 127.0.0.1 that answers like an OAuth
profile endpoint: ``GET`` with ``Authorization: Bearer TOKEN`` gets
``{"account": {"uuid": ACCOUNT}}`` for a token it issued, 401 otherwise.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class TokenIssuer:
    """Issue tokens to accounts; answer who a token belongs to. Use as a context manager."""

    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}
        self.asked: list[str] = []  # every token asked about, in order
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                header = self.headers.get("Authorization", "")
                token = header.removeprefix("Bearer ")
                issuer.asked.append(token)
                account = issuer.accounts.get(token) if header.startswith("Bearer ") else None
                body = json.dumps({"account": {"uuid": account}} if account else {"error": "no"})
                self.send_response(200 if account else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: a test's output is its own."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """The profile endpoint's URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/oauth/profile"

    def issue(self, token: str, account: str) -> str:
        """Make ``token`` a live token of ``account``; returns the token."""
        self.accounts[token] = account
        return token

    def revoke(self, token: str) -> None:
        """The token stops being accepted (expired, or rotated away)."""
        self.accounts.pop(token, None)

    def __enter__(self) -> TokenIssuer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
