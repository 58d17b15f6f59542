"""Forwarding credentials between the host and a project's home, rotation-safe.

OAuth tokens rotate: each session may refresh its token, and the previous one
stops working. Several Kanibako sessions (in different projects) can end at
the same moment, each holding a token of a different age. And the agent in a
project's home is not trusted: whatever it leaves there may be forged. The rules:

- before launch, a strictly fresher copy left in the home (by a session that
  was killed before it could write back) goes to the host first, under the
  rule below; then the host copy goes into the home unless the home's is at
  least as fresh;
- after exit, the home's copy replaces the host's only when it is strictly
  fresher (by the target's ``freshness``, e.g. token expiry) *and* shown to
  belong to the host's own account (the target's ``same_account``, which asks
  the token's issuer): the box cannot choose the host's credentials. Decided
  and written under one lock every Kanibako session takes for that host file,
  atomically (temp + rename, mode 0600);
- a copy in the home that is not a bounded regular file, is malformed, or
  belongs to another account is set aside (renamed ``NAME.rejected``) with one
  line on stderr, and the launch goes on with the host's copy;
- nothing is ever read or written through a symbolic link (see safe_files).
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from kanibako_targets.errors import FileRefusedError
from kanibako_targets.safe_files import (
    read_beneath,
    read_host_file,
    set_aside,
    write_beneath,
    write_host_file,
)
from kanibako_targets.values import AccountCheck, CredentialFile


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


def _say(line: str) -> None:
    # One line, the CLI's own prefix: the launch goes on, so this is no error.
    # A plugin's reason may quote the box's bytes: control characters escaped.
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
    print(f"kanibako: {shown}", file=sys.stderr, flush=True)


class _Malformed(ValueError):
    """The bytes are not a well-formed credential (the reason is the message)."""


def _freshness(credential: CredentialFile, data: bytes) -> float | None:
    """The credential's freshness: None when it cannot be told; ``_Malformed`` when bad."""
    try:
        fresh = credential.freshness(data)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise _Malformed(str(exc) or type(exc).__name__) from exc
    if fresh is None:
        return None
    if isinstance(fresh, bool) or not isinstance(fresh, int | float) or not math.isfinite(fresh):
        raise _Malformed(f"its freshness {fresh!r} is not a finite number")
    return fresh


def _host_freshness(credential: CredentialFile, data: bytes | None) -> float | None:
    """The host copy's freshness; one that cannot be read as a credential counts as oldest."""
    if data is None:
        return None
    try:
        return _freshness(credential, data)
    except _Malformed:
        return None


def _reject(credential: CredentialFile, home: Path, reason: str) -> bool:
    """Set the home's copy aside with one line; False when it cannot even be moved.

    It cannot when a directory on the way is a link or no directory: then no
    credential goes in or out of this project until the user removes it.
    """
    where = home / credential.home_path
    try:
        moved = set_aside(home, credential.home_path)
    except FileRefusedError as exc:
        _say(f"credentials not forwarded for this project: {exc}")
        return False
    if moved is not None:
        _say(f"{where}: {reason}; set aside as {moved.name}, the host's credentials are used")
    return True


# The home's copy could not be read nor set aside: leave this project alone.
_BLOCKED = object()


def _home_copy(credential: CredentialFile, home: Path) -> tuple[bytes, float | None] | object:
    """The home's copy and its freshness; None when absent or set aside, or ``_BLOCKED``."""
    try:
        data = read_beneath(home, credential.home_path)
    except FileRefusedError as exc:
        return None if _reject(credential, home, f"refused ({exc})") else _BLOCKED
    if data is None:
        return None
    try:
        return data, _freshness(credential, data)
    except _Malformed as exc:
        _reject(credential, home, f"not a well-formed credential ({exc})")
        return None


def refresh_into_home(credential: CredentialFile, home: Path) -> bool:
    """Copy the host credential into the home before launch; True if it was copied.

    A home copy that is strictly fresher than the host's is kept (its token
    may already have replaced the host's one at the provider); a bad one is
    set aside first.
    """
    host_data = read_host_file(credential.host_path)
    home_copy = _home_copy(credential, home)
    if host_data is None or home_copy is _BLOCKED:
        return False
    if isinstance(home_copy, tuple):
        home_data, home_fresh = home_copy
        if home_data == host_data:
            return False
        host_fresh = _host_freshness(credential, host_data)
        if home_fresh is not None and (host_fresh is None or home_fresh > host_fresh):
            return False
    try:
        write_beneath(home, credential.home_path, host_data, mode=0o600)
    except FileRefusedError as exc:  # say, a link planted at a directory on the way
        _say(f"credentials not copied into the project: {exc}")
        return False
    return True


def _fresher_than_host(
    credential: CredentialFile, home_data: bytes, home_fresh: float, host_data: bytes | None
) -> bool:
    if host_data == home_data:
        return False
    host_fresh = _host_freshness(credential, host_data)
    return host_fresh is None or home_fresh > host_fresh


def _account(credential: CredentialFile, home_data: bytes, host_data: bytes | None) -> AccountCheck:
    if credential.same_account is None:
        return AccountCheck(None, "its target cannot show whose account it is")
    try:
        return credential.same_account(home_data, host_data)
    except (ValueError, OSError) as exc:  # a plugin's check failing is "cannot tell"
        return AccountCheck(None, f"the account check failed: {exc}")


def _accepted(
    credential: CredentialFile, home: Path, home_data: bytes, host_data: bytes | None
) -> bool:
    """True when the home's copy is the host's account; says why not otherwise."""
    check = _account(credential, home_data, host_data)
    if check.same is True:
        return True
    where = home / credential.home_path
    if check.same is False:
        _reject(credential, home, f"belongs to another account ({check.detail})")
    else:
        _say(f"{where}: not written back to {credential.host_path}: {check.detail}")
    return False


def write_back_to_host(credential: CredentialFile, home: Path) -> bool:
    """Write the home's credential back to the host; True if written.

    Only a copy whose freshness is known and strictly greater than the host's,
    and that the target shows to be the host's own account, replaces it (a
    host copy that cannot be read as a credential counts as oldest). The
    decision is taken again under the shared lock, so that a session never
    replaces a token another session has just written.
    """
    home_copy = _home_copy(credential, home)
    if not isinstance(home_copy, tuple) or home_copy[1] is None:
        return False
    home_data, home_fresh = home_copy
    # A look without the lock first: most sessions end with an unchanged
    # token and need not queue behind each other, nor wait for the issuer.
    host_data = read_host_file(credential.host_path)
    if not _fresher_than_host(credential, home_data, home_fresh, host_data):
        return False
    if not _accepted(credential, home, home_data, host_data):
        return False
    with credential_lock(credential.host_path):
        now = read_host_file(credential.host_path)
        if not _fresher_than_host(credential, home_data, home_fresh, now):
            return False
        # Another session replaced the host's copy meanwhile: compare again.
        if now != host_data and not _accepted(credential, home, home_data, now):
            return False
        write_host_file(credential.host_path, home_data, mode=0o600)
    return True
