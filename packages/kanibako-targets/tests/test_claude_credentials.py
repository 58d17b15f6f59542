"""Claude's credentials: the issuer decides whose account a token is, values are checked.

The issuer is a real HTTP server on loopback (``TokenIssuer``); the box's
copies are planted as a hostile agent would leave them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako_targets import HostEnvironment
from kanibako_targets.claude import ClaudeTarget
from kanibako_targets.claude.account import ISSUER_VARIABLE
from kanibako_targets.testing_issuer import TokenIssuer

REL = ".claude/.credentials.json"
USER, ATTACKER = "account-of-the-user", "account-of-the-attacker"


def soon(hours: float = 1.0) -> int:
    return int((time.time() + hours * 3600) * 1000)


def token(expires_at: object, access: str = "host-token", refresh: str = "r") -> bytes:
    oauth = {"accessToken": access, "refreshToken": refresh, "expiresAt": expires_at}
    return json.dumps({"claudeAiOauth": oauth}).encode()


def put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def issuer() -> Iterator[TokenIssuer]:
    with TokenIssuer() as running:
        running.issue("host-token", USER)
        running.issue("rotated-token", USER)
        running.issue("attacker-token", ATTACKER)
        yield running


@pytest.fixture
def host_home(tmp_path: Path) -> Path:
    path = tmp_path / "host"
    path.mkdir()
    return path


@pytest.fixture
def claude(host_home: Path, issuer: TokenIssuer) -> ClaudeTarget:
    return ClaudeTarget(HostEnvironment(home=host_home, environ={ISSUER_VARIABLE: issuer.url}))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


def one_line(capfd: pytest.CaptureFixture[str]) -> str:
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kanibako: "), err
    return err


# -- the account check -----------------------------------------------------------


def test_a_rotated_token_of_the_hosts_account_is_written_back(
    claude: ClaudeTarget, host_home: Path, home: Path, issuer: TokenIssuer
) -> None:
    put(host_home / REL, token(soon(1)))
    assert claude.refresh_credentials(home) == [home / REL]
    put(home / REL, token(soon(8), access="rotated-token"))
    rotated = (home / REL).read_bytes()
    assert claude.write_back_credentials(home) == [host_home / REL]
    assert (host_home / REL).read_bytes() == rotated
    assert (host_home / REL).stat().st_mode & 0o777 == 0o600
    assert {"rotated-token", "host-token"} <= set(issuer.asked)


def test_another_accounts_token_never_reaches_the_host_and_is_set_aside(
    claude: ClaudeTarget, host_home: Path, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    put(host_home / REL, token(soon(1)))
    before = (host_home / REL).read_bytes()
    put(home / REL, token(soon(300 * 24), access="attacker-token"))
    assert claude.write_back_credentials(home) == []
    assert (host_home / REL).read_bytes() == before
    assert "belongs to another account" in one_line(capfd)
    assert (home / f"{REL}.rejected").is_file()
    # The next launch goes on with the host's token.
    assert claude.refresh_credentials(home) == [home / REL]
    assert (home / REL).read_bytes() == before


def test_a_token_the_issuer_does_not_know_is_set_aside(
    claude: ClaudeTarget, host_home: Path, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    put(host_home / REL, token(soon(1)))
    put(home / REL, token(soon(2), access="made-up"))
    assert claude.refresh_credentials(home) == [home / REL]
    assert "HTTP 401" in capfd.readouterr().err
    assert (home / REL).read_bytes() == (host_home / REL).read_bytes()


def test_an_expired_host_token_is_matched_by_the_account_its_login_recorded(
    claude: ClaudeTarget, host_home: Path, home: Path, issuer: TokenIssuer
) -> None:
    put(host_home / REL, token(1000))
    issuer.revoke("host-token")  # expired: the issuer no longer names its account
    put(home / REL, token(soon(8), access="rotated-token"))
    assert claude.write_back_credentials(home) == []  # nothing tells whose it was
    (host_home / ".claude.json").write_text(json.dumps({"oauthAccount": {"accountUuid": USER}}))
    assert claude.write_back_credentials(home) == [host_home / REL]
    put(home / REL, token(soon(9), access="attacker-token"))
    assert claude.write_back_credentials(home) == []


def test_an_unreachable_issuer_writes_nothing_back_and_keeps_the_boxs_copy(
    host_home: Path, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with TokenIssuer() as gone:
        url = gone.url
    claude = ClaudeTarget(HostEnvironment(home=host_home, environ={ISSUER_VARIABLE: url}))
    put(host_home / REL, token(soon(1)))
    put(home / REL, token(soon(8), access="rotated-token"))
    assert claude.write_back_credentials(home) == []
    assert "could not be reached" in one_line(capfd)
    assert json.loads((home / REL).read_bytes())["claudeAiOauth"]["accessToken"] == "rotated-token"


def test_a_host_made_up_by_a_test_never_asks_a_real_issuer(host_home: Path, home: Path) -> None:
    claude = ClaudeTarget(HostEnvironment(home=host_home))  # no environment at all
    put(host_home / REL, token(soon(1)))
    put(home / REL, token(soon(8), access="rotated-token"))
    assert claude.write_back_credentials(home) == []


# -- values and files the box leaves ----------------------------------------------

BAD_EXPIRIES = {
    "infinity": b'{"claudeAiOauth": {"accessToken": "attacker-token", "expiresAt": Infinity}}',
    "year 2286": token(9999999999999, access="attacker-token"),
    "400 digits": token(int("9" * 400), access="attacker-token"),
    "5000 digits": b'{"claudeAiOauth": {"expiresAt": ' + b"9" * 5000 + b"}}",
    "string": token("9999999999999", access="attacker-token"),
    "float": token(float(soon(2)), access="attacker-token"),
    "negative": token(-1, access="attacker-token"),
    "boolean": token(True, access="attacker-token"),
    "nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("kind", sorted(BAD_EXPIRIES))
def test_an_implausible_expiry_is_set_aside_and_the_hosts_token_used(  # noqa: PLR0917 - fixtures
    claude: ClaudeTarget,
    host_home: Path,
    home: Path,
    issuer: TokenIssuer,
    capfd: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    put(host_home / REL, token(soon(1)))
    before = (host_home / REL).read_bytes()
    put(home / REL, BAD_EXPIRIES[kind])
    assert claude.refresh_credentials(home) == [home / REL]
    assert (host_home / REL).read_bytes() == before
    assert (home / REL).read_bytes() == before
    assert "not a well-formed credential" in one_line(capfd)
    assert (home / f"{REL}.rejected").read_bytes() == BAD_EXPIRIES[kind]
    assert issuer.asked == []  # refused on its values alone


@pytest.mark.parametrize("kind", ["symlink", "fifo", "huge", "directory"])
def test_a_planted_non_file_is_set_aside_without_hanging(  # noqa: PLR0917 - fixtures
    claude: ClaudeTarget,
    host_home: Path,
    home: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    put(host_home / REL, token(soon(1)))
    victim = tmp_path / "victim"
    victim.write_bytes(token(soon(2), access="rotated-token"))
    planted = home / REL
    planted.parent.mkdir(parents=True)
    if kind == "symlink":
        planted.symlink_to(victim)
    elif kind == "fifo":
        os.mkfifo(planted)
    elif kind == "huge":
        with planted.open("wb") as handle:
            handle.truncate(1 << 30)  # 1 GiB, sparse
    else:
        planted.mkdir()
        (planted / "inside").write_text("x")
    started = time.monotonic()
    assert claude.write_back_credentials(home) == []
    assert claude.refresh_credentials(home) == [home / REL]
    assert time.monotonic() - started < 5
    assert (home / REL).read_bytes() == (host_home / REL).read_bytes()
    assert "refused" in one_line(capfd)
    assert json.loads(victim.read_bytes())["claudeAiOauth"]["accessToken"] == "rotated-token"


def test_reauth_check_never_overflows_on_the_hosts_own_bad_values(
    claude: ClaudeTarget, host_home: Path
) -> None:
    for data in (BAD_EXPIRIES["infinity"], BAD_EXPIRIES["400 digits"], token(9999999999999)):
        put(host_home / REL, data)
        status = claude.check_auth()
        assert not status.ok and "no usable OAuth token" in status.detail


# -- through the Claude target, with a loopback issuer --------------------------


def test_a_fresher_token_left_by_a_killed_session_reaches_the_host_at_the_next_launch(
    claude: ClaudeTarget, host_home: Path, home: Path
) -> None:
    put(host_home / REL, token(soon(1)))
    rotated = token(soon(8), access="rotated-token")
    put(home / REL, rotated)  # rotated in the container; no write-back happened
    assert claude.refresh_credentials(home) == []
    assert (host_home / REL).read_bytes() == rotated
    assert (home / REL).read_bytes() == rotated


def test_claude_seeds_its_global_state_without_host_project_history(
    claude: ClaudeTarget, host_home: Path, tmp_path: Path, home: Path
) -> None:
    state = {"hasCompletedOnboarding": True, "projects": {"/host/secret/path": {}}}
    (host_home / ".claude.json").write_text(json.dumps(state))
    put(host_home / ".claude/settings.json", b'{"theme": "dark"}')
    claude.init_home(home, share_auth=True)
    seeded = json.loads((home / ".claude.json").read_text())
    assert seeded == {"hasCompletedOnboarding": True}
    assert (home / ".claude/settings.json").read_bytes() == b'{"theme": "dark"}'
    distinct = tmp_path / "distinct"
    distinct.mkdir()
    claude.init_home(distinct, share_auth=False)
    assert not (distinct / ".claude.json").exists()
    assert not (distinct / ".claude/settings.json").exists()
    assert (distinct / ".claude").is_dir()


def test_claude_auth_check(claude: ClaudeTarget, host_home: Path) -> None:
    assert not claude.check_auth().ok
    put(host_home / REL, token(soon(1)))
    assert claude.check_auth().ok
    put(host_home / REL, token(1000, refresh=""))
    status = claude.check_auth()
    assert not status.ok and "cannot be refreshed" in status.detail
    assert claude.login_args() == ["auth", "login"]
