"""Whose account a Claude token belongs to, as its issuer says.

A project's home is writable by its agent, so a token found there may be one
the agent planted: its own account's, with a far-off ``expiresAt`` so that it
wins every comparison. Before such a token replaces the host's, the host asks
the issuer (Anthropic's OAuth profile endpoint, or the URL in
``KANIBAKO_CLAUDE_ISSUER_URL``) which account each token belongs to, and
accepts only the host's own account. The host's account is the one its own
token belongs to, or, when the issuer no longer accepts that token (it has
expired, or rotated away), the ``oauthAccount.accountUuid`` that the host's
Claude recorded in ``~/.claude.json`` at login (never written by a container).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kanibako_targets.errors import FileRefusedError
from kanibako_targets.safe_files import read_host_file
from kanibako_targets.values import AccountCheck

ISSUER_VARIABLE = "KANIBAKO_CLAUDE_ISSUER_URL"
DEFAULT_ISSUER_URL = "https://api.anthropic.com/api/oauth/profile"
# The profile endpoint wants the OAuth beta header, as Claude Code sends it.
_HEADERS = {"anthropic-beta": "oauth-2025-04-20", "Accept": "application/json"}
_TIMEOUT_SECONDS = 10.0
_ANSWER_LIMIT = 256 * 1024
# An access token goes into an HTTP header: printable, no spaces, bounded.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,8192}")


class IssuerUnavailable(Exception):
    """The issuer could not be asked (network, server error, malformed answer)."""


class TokenRefused(Exception):
    """The issuer does not accept the token (401/403): it is no live token of any account."""


def issuer_url(environ: Mapping[str, str] | None) -> str | None:
    """The issuer to ask; None for a host made up by a test, or when set to empty."""
    if environ is None:
        return None
    return environ.get(ISSUER_VARIABLE, DEFAULT_ISSUER_URL) or None


def access_token(data: bytes | None) -> str | None:
    """``claudeAiOauth.accessToken`` of a credentials file, when usable in a header."""
    try:
        document = json.loads(data or b"")
    except (ValueError, RecursionError):
        return None
    oauth = document.get("claudeAiOauth") if isinstance(document, dict) else None
    token = oauth.get("accessToken") if isinstance(oauth, dict) else None
    return token if isinstance(token, str) and _TOKEN.fullmatch(token) else None


def _account_id(answer: Any) -> str:
    account = answer.get("account") if isinstance(answer, dict) else None
    uuid = account.get("uuid") if isinstance(account, dict) else None
    if not isinstance(uuid, str) or not uuid:
        raise IssuerUnavailable("the issuer's answer names no account")
    return uuid


def account_of(url: str, token: str) -> str:
    """The account id the issuer at ``url`` says ``token`` belongs to."""
    import urllib.error  # only a write-back that needs the check pays for these
    import urllib.request

    if not url.startswith(("https://", "http://")):  # never file: or a custom scheme
        raise IssuerUnavailable(f"the issuer URL is not http(s): {url!r}")
    headers = {**_HEADERS, "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(_ANSWER_LIMIT + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise TokenRefused(f"the issuer refused the token (HTTP {exc.code})") from exc
        raise IssuerUnavailable(f"the issuer answered HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:  # URLError, timeouts, a malformed URL
        reason = getattr(exc, "reason", exc)
        raise IssuerUnavailable(f"the issuer at {url} could not be reached: {reason}") from exc
    if len(body) > _ANSWER_LIMIT:
        raise IssuerUnavailable("the issuer's answer is too large")
    try:
        return _account_id(json.loads(body))
    except (ValueError, RecursionError) as exc:
        raise IssuerUnavailable("the issuer's answer is not JSON") from exc


def recorded_account(global_state: Path) -> str | None:
    """``oauthAccount.accountUuid`` in the host's ``~/.claude.json``, if any."""
    try:
        document = json.loads(read_host_file(global_state) or b"")
    except (FileRefusedError, ValueError, RecursionError):
        return None
    account = document.get("oauthAccount") if isinstance(document, dict) else None
    uuid = account.get("accountUuid") if isinstance(account, dict) else None
    return uuid if isinstance(uuid, str) and uuid else None


def _host_account(url: str, host_data: bytes | None, global_state: Path) -> str | None:
    token = access_token(host_data)
    if token is not None:
        try:
            return account_of(url, token)
        except (TokenRefused, IssuerUnavailable):
            pass  # expired or rotated away: the login's record still names the account
    return recorded_account(global_state)


def _candidate_account(url: str, home_data: bytes) -> str | AccountCheck:
    """The account the issuer names for the home's token, or the verdict when it names none."""
    token = access_token(home_data)
    if token is None:
        return AccountCheck(False, "it holds no usable access token")
    try:
        return account_of(url, token)
    except TokenRefused as exc:
        return AccountCheck(False, str(exc))
    except IssuerUnavailable as exc:
        return AccountCheck(None, str(exc))


def same_account(
    url: str | None, home_data: bytes, host_data: bytes | None, global_state: Path
) -> AccountCheck:
    """Whether the token in ``home_data`` is the host's account, by the issuer at ``url``."""
    if url is None:
        return AccountCheck(None, f"no token issuer to ask (set {ISSUER_VARIABLE})")
    candidate = _candidate_account(url, home_data)
    if isinstance(candidate, AccountCheck):
        return candidate
    host = _host_account(url, host_data, global_state)
    if host is None:
        return AccountCheck(None, "the host's account is not known (run `kanibako reauth`)")
    if candidate != host:
        return AccountCheck(False, "the issuer names a different account than the host's")
    return AccountCheck(True, "the issuer names the host's account")
