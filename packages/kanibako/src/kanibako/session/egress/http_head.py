"""One request head from inside the box: parsed, bounded, and the replies the proxy sends.

CONNECT host:port (TLS tunnels) and absolute-form ``http://`` requests are the
only shapes accepted; an absolute-form request is rewritten to origin form with
the hop-by-hop headers dropped and ``Connection: close`` (one request per
connection keeps the destination the one that was checked).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from kanibako.session.egress.destinations import (
    DestinationError,
    normalize_host,
    parse_port,
    split_host_port,
)
from kanibako.session.egress.policy import Decision

_HOP_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization", b"te"}
)
REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}


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


def reply(status: int, reason: str, body: str) -> bytes:
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
    return reply(403, "Forbidden", body)
