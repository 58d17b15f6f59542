"""The hub's wire format: one JSON object per line, both ways.

Requests carry ``op`` and an optional ``id`` echoed in the reply. The first
request on a connection is ``hello`` with the caller's secret token and a
role: ``mailbox`` (receives messages; one per helper) or ``command`` (issues
requests only; any number). Everything else the client sends about who it is
is ignored. Messages reach a mailbox as ``{"event": "message", ...}`` lines.
"""

from __future__ import annotations

import json
from typing import Any

MAX_LINE = 1024 * 1024
"""Longest request line accepted (bytes, without the newline)."""

MAX_STRIKES = 3
"""Bad lines (oversized, not JSON, not a request) tolerated before a disconnect."""

MAX_MESSAGE_BYTES = 256 * 1024
"""Longest message as routed and logged (bytes of its log line); longer is refused."""

MAX_TEXT = MAX_MESSAGE_BYTES - 4096
"""Longest message text in characters (checked first; the logged bytes decide)."""

MAX_CONNECTIONS = 512
"""Connections served at once; more are refused (each helper needs about two)."""

ROLE_MAILBOX = "mailbox"
ROLE_COMMAND = "command"


def encode(obj: dict[str, Any]) -> bytes:
    """One protocol line (UTF-8 JSON and a newline)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
