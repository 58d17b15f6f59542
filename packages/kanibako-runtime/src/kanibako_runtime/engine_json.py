"""The JSON that ``ps`` and ``images`` print with ``--format json``."""

from __future__ import annotations

import json
from typing import Any


def json_rows(text: str) -> list[dict[str, Any]]:
    """Rows of engine JSON output: Podman prints one array, Docker one object a line."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        rows: list[dict[str, Any]] = json.loads(text)
        return rows
    return [json.loads(line) for line in text.splitlines() if line.strip()]
