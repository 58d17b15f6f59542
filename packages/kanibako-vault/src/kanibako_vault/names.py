"""Snapshot names: UTC timestamps with microseconds that sort by time and never repeat.

A name looks like ``20261126T223727.123456Z``; its archive is ``<name>.tar.zst`` (or
``.tar.xz``, ``.tar``: see compress). A new
name is always later than every name already in the store, so two snapshots in the
same microsecond (or after the clock stepped back) still get distinct, ordered names.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# Every suffix an archive may have, the preferred one first when a name has two (a
# rewrite killed before it removed the older file: both hold the same tree).
ARCHIVE_SUFFIXES = (".tar.zst", ".tar.xz", ".tar")
_FORMAT = "%Y%m%dT%H%M%S.%fZ"
_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z")


def is_snapshot_name(name: str) -> bool:
    """True for a well-formed snapshot name (no path, no suffix)."""
    return _NAME.fullmatch(name) is not None


def split_archive_name(filename: str) -> tuple[str, str] | None:
    """(snapshot name, suffix) of an archive's file name; None for any other file."""
    for suffix in ARCHIVE_SUFFIXES:
        name = filename.removesuffix(suffix)
        if name != filename and is_snapshot_name(name):
            return name, suffix
    return None


def name_time(name: str) -> datetime:
    """The UTC time a well-formed snapshot name encodes."""
    # Sliced, not strptime: its first call imports _strptime and compiles its
    # patterns, 6 ms of every snapshot command (measured with cProfile).
    if not is_snapshot_name(name):
        raise ValueError(f"not a snapshot name: {name!r}")
    return datetime(
        int(name[0:4]), int(name[4:6]), int(name[6:8]),
        int(name[9:11]), int(name[11:13]), int(name[13:15]), int(name[16:22]),
        tzinfo=UTC,
    )  # fmt: skip


def next_name(existing: list[str], now: datetime | None = None) -> str:
    """A name for a new snapshot: now, or one microsecond after the latest existing one."""
    moment = now or datetime.now(UTC)
    if existing:
        latest = name_time(max(existing))
        if moment <= latest:
            moment = latest + timedelta(microseconds=1)
    return moment.strftime(_FORMAT)
