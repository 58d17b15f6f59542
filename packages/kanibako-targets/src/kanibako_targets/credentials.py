"""Forwarding credentials between the host and a project's home, rotation-safe.

OAuth tokens rotate: each session may refresh its token, and the previous one
stops working. Several Kanibako sessions (in different projects) can end at
the same moment, each holding a token of a different age. The rules:

- before launch, a strictly fresher copy left in the home (by a session that
  was killed before it could write back) goes to the host first; then the
  host copy goes into the home unless the home's is at least as fresh;
- after exit, the home's copy goes back to the host only when it is strictly
  fresher than the host's (by the target's ``freshness``, e.g. token expiry),
  decided and written under one lock that every Kanibako session takes for
  that host file, atomically (temp + rename, mode 0600);
- nothing is ever read or written through a symbolic link (see safe_files).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from kanibako_targets.safe_files import (
    read_beneath,
    read_host_file,
    write_beneath,
    write_host_file,
)
from kanibako_targets.values import CredentialFile, Freshness


def lock_path_for(host_path: Path) -> Path:
    """The lock file shared by every session that writes ``host_path``.

    It sits beside the credential itself, so any Kanibako configuration (any
    data directory, any project mode) agrees on it.
    """
    return host_path.with_name(f".{host_path.name}.kanibako-lock")


@contextlib.contextmanager
def credential_lock(host_path: Path) -> Iterator[None]:
    """Hold the exclusive write-back lock for ``host_path`` (blocks until free)."""
    lock = lock_path_for(host_path)
    lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _fresh(freshness: Freshness, data: bytes | None) -> float | None:
    if data is None:
        return None
    try:
        return freshness(data)
    except ValueError:
        return None


def refresh_into_home(credential: CredentialFile, home: Path) -> bool:
    """Copy the host credential into the home before launch; True if it was copied.

    A home copy that is strictly fresher than the host's is kept (its token
    may already have replaced the host's one at the provider).
    """
    host_data = read_host_file(credential.host_path)
    if host_data is None:
        return False
    home_data = read_beneath(home, credential.home_path)
    if home_data == host_data:
        return False
    host_fresh = _fresh(credential.freshness, host_data)
    home_fresh = _fresh(credential.freshness, home_data)
    if home_fresh is not None and (host_fresh is None or home_fresh > host_fresh):
        return False
    write_beneath(home, credential.home_path, host_data, mode=0o600)
    return True


def _fresher_than_host(
    credential: CredentialFile, home_data: bytes, home_fresh: float, host_data: bytes | None
) -> bool:
    if host_data == home_data:
        return False
    host_fresh = _fresh(credential.freshness, host_data)
    return host_fresh is None or home_fresh > host_fresh


def write_back_to_host(credential: CredentialFile, home: Path) -> bool:
    """Write the home's credential back to the host; True if written.

    Only a copy whose freshness is known and strictly greater than the host's
    replaces it (a host copy that cannot be read as a credential counts as
    oldest). The decision is taken again under the shared lock, so that a
    session never replaces a token another session has just written.
    """
    home_data = read_beneath(home, credential.home_path)
    home_fresh = _fresh(credential.freshness, home_data)
    if home_data is None or home_fresh is None:
        return False
    # A look without the lock first: most sessions end with an unchanged
    # token and need not queue behind each other.
    if not _fresher_than_host(
        credential, home_data, home_fresh, read_host_file(credential.host_path)
    ):
        return False
    with credential_lock(credential.host_path):
        host_data = read_host_file(credential.host_path)
        if not _fresher_than_host(credential, home_data, home_fresh, host_data):
            return False
        write_host_file(credential.host_path, home_data, mode=0o600)
    return True
