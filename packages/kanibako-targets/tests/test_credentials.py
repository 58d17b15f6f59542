"""Every credential rule: no-follow, fresher-only, same-account write-back, one lock, 0600.

The generic rules are checked with a plain ``same_account`` that reads the
token's label (tokens labelled alike are one account); the Claude target's own
check, which asks the token's issuer, is in test_claude_credentials.py.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

import kanibako_targets.credentials as credentials_module
from kanibako_targets import AccountCheck, CredentialFile, SymlinkRefusedError
from kanibako_targets.claude import checked_expiry
from kanibako_targets.internal import credential_lock, refresh_into_home, write_back_to_host

REL = ".claude/.credentials.json"


def token(expires_at: int, label: str = "tok") -> bytes:
    return json.dumps(
        {"claudeAiOauth": {"accessToken": f"{label}-{expires_at}", "expiresAt": expires_at}}
    ).encode()


@pytest.fixture
def host_home(tmp_path: Path) -> Path:
    path = tmp_path / "host"
    path.mkdir()
    return path


def label(data: bytes | None) -> str | None:
    if data is None:
        return None
    return str(json.loads(data)["claudeAiOauth"]["accessToken"]).rsplit("-", 1)[0]


def same_label(home_data: bytes, host_data: bytes | None) -> AccountCheck:
    """Tokens labelled alike are one account; with no host token, only "tok" is the host's."""
    return AccountCheck(label(home_data) == (label(host_data) or "tok"), "by label")


def credential(host_path: Path) -> CredentialFile:
    return CredentialFile(host_path, REL, freshness=checked_expiry, same_account=same_label)


@pytest.fixture
def cred(host_home: Path) -> CredentialFile:
    return credential(host_home / REL)


def project_home(tmp_path: Path, name: str = "project") -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# -- refresh (host -> project home) -----------------------------------------


def test_refresh_copies_the_host_token_with_mode_0600(tmp_path: Path, cred: CredentialFile) -> None:
    put(cred.host_path, token(100))
    home = project_home(tmp_path)
    assert refresh_into_home(cred, home)
    copied = home / REL
    assert copied.read_bytes() == token(100)
    assert copied.stat().st_mode & 0o777 == 0o600


def test_refresh_keeps_a_fresher_token_already_in_the_home(
    tmp_path: Path, cred: CredentialFile
) -> None:
    put(cred.host_path, token(100))
    home = project_home(tmp_path)
    put(home / REL, token(200))
    assert not refresh_into_home(cred, home)
    assert (home / REL).read_bytes() == token(200)


def test_refresh_with_no_host_credentials_writes_nothing(
    tmp_path: Path, cred: CredentialFile
) -> None:
    home = project_home(tmp_path)
    assert not refresh_into_home(cred, home)
    assert not (home / ".claude").exists()


def test_refresh_refuses_a_link_planted_at_the_home_file(
    tmp_path: Path, cred: CredentialFile
) -> None:
    put(cred.host_path, token(100))
    victim = tmp_path / "victim"
    victim.write_text("precious")
    home = project_home(tmp_path)
    (home / ".claude").mkdir()
    (home / REL).symlink_to(victim)
    assert refresh_into_home(cred, home)  # the link is set aside, the host's copy goes in
    assert victim.read_text() == "precious"
    assert (home / REL).read_bytes() == token(100)
    assert (home / f"{REL}.rejected").is_symlink()


def test_refresh_refuses_a_linked_directory_on_the_way(
    tmp_path: Path, cred: CredentialFile, capfd: pytest.CaptureFixture[str]
) -> None:
    put(cred.host_path, token(100))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".credentials.json").write_bytes(token(999))
    home = project_home(tmp_path)
    (home / ".claude").symlink_to(elsewhere)
    assert not write_back_to_host(cred, home)
    assert not refresh_into_home(cred, home)  # the launch goes on without a copy
    err = capfd.readouterr().err
    assert err.count("\n") == 2 and "symbolic link at" in err  # one line each
    assert [p.name for p in elsewhere.iterdir()] == [".credentials.json"]
    assert cred.host_path.read_bytes() == token(100)


# -- write-back (project home -> host) ----------------------------------------


def test_a_fresher_container_token_is_written_back_atomically_with_mode_0600(
    tmp_path: Path, cred: CredentialFile
) -> None:
    put(cred.host_path, token(100))
    cred.host_path.chmod(0o644)
    home = project_home(tmp_path)
    put(home / REL, token(200))
    assert write_back_to_host(cred, home)
    assert cred.host_path.read_bytes() == token(200)
    assert cred.host_path.stat().st_mode & 0o777 == 0o600
    leftovers = [p.name for p in cred.host_path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize("container_expiry", [50, 100])
def test_an_older_or_equal_container_token_never_replaces_the_host_one(
    tmp_path: Path, cred: CredentialFile, container_expiry: int
) -> None:
    put(cred.host_path, token(100))
    home = project_home(tmp_path)
    put(home / REL, token(container_expiry, label="other"))
    assert not write_back_to_host(cred, home)
    assert cred.host_path.read_bytes() == token(100)


def test_an_unreadable_container_token_is_not_written_back(
    tmp_path: Path, cred: CredentialFile
) -> None:
    put(cred.host_path, token(100))
    home = project_home(tmp_path)
    put(home / REL, b"{ not json")
    assert not write_back_to_host(cred, home)
    assert cred.host_path.read_bytes() == token(100)


def test_a_login_inside_the_container_reaches_a_host_without_credentials_if_its_account(
    tmp_path: Path, cred: CredentialFile
) -> None:
    home = project_home(tmp_path)
    put(home / REL, token(300, label="theirs"))
    assert not write_back_to_host(cred, home)
    assert not cred.host_path.exists()
    put(home / REL, token(300))
    assert write_back_to_host(cred, home)
    assert cred.host_path.read_bytes() == token(300)
    assert cred.host_path.parent.stat().st_mode & 0o777 == 0o700


def test_a_credential_without_an_account_check_never_flows_back(
    tmp_path: Path, host_home: Path
) -> None:
    one_way = CredentialFile(host_home / REL, REL, freshness=checked_expiry)
    put(one_way.host_path, token(100))
    home = project_home(tmp_path)
    put(home / REL, token(200))
    assert not write_back_to_host(one_way, home)
    assert one_way.host_path.read_bytes() == token(100)
    assert (home / REL).read_bytes() == token(200)  # not set aside: it may be fine


def test_write_back_refuses_a_link_planted_in_the_home(
    tmp_path: Path, cred: CredentialFile
) -> None:
    put(cred.host_path, token(100))
    secret = tmp_path / "id_rsa"
    secret.write_bytes(token(999))  # even a "fresher-looking" target is never read
    home = project_home(tmp_path)
    (home / ".claude").mkdir()
    (home / REL).symlink_to(secret)
    assert not write_back_to_host(cred, home)
    assert cred.host_path.read_bytes() == token(100)
    assert secret.read_bytes() == token(999)
    assert not (home / REL).exists() and (home / f"{REL}.rejected").is_symlink()


def test_write_back_refuses_a_link_at_the_host_path(tmp_path: Path, cred: CredentialFile) -> None:
    real = tmp_path / "real-file"
    real.write_bytes(token(100))
    cred.host_path.parent.mkdir(parents=True)
    cred.host_path.symlink_to(real)
    home = project_home(tmp_path)
    put(home / REL, token(200))
    with pytest.raises(SymlinkRefusedError):
        write_back_to_host(cred, home)
    assert real.read_bytes() == token(100)


def test_a_planted_fifo_is_set_aside_instead_of_hanging(
    tmp_path: Path, cred: CredentialFile, capfd: pytest.CaptureFixture[str]
) -> None:
    put(cred.host_path, token(100))
    home = project_home(tmp_path)
    (home / ".claude").mkdir()
    os.mkfifo(home / REL)
    assert not write_back_to_host(cred, home)
    assert capfd.readouterr().err.count("\n") == 1
    assert refresh_into_home(cred, home)
    assert (home / REL).read_bytes() == token(100)


def _write_back_slowly(host_file: str, home: str, delay: float, start: float) -> None:
    """A child session: wait for the common start, then write back with a slow write."""
    # Through the module's namespace: the name is the module's own import.
    original = vars(credentials_module)["write_host_file"]

    def slow_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
        time.sleep(delay)  # widen the window between deciding and writing
        original(path, data, mode=mode)

    vars(credentials_module)["write_host_file"] = slow_write
    cred = credential(Path(host_file))
    time.sleep(max(0.0, start - time.time()))
    write_back_to_host(cred, Path(home))


def test_sessions_writing_back_at_once_never_replace_a_newer_token(
    tmp_path: Path, cred: CredentialFile
) -> None:
    put(cred.host_path, token(100))
    # Fresher tokens start first, so without the lock the older ones, having
    # compared against the stale host copy, would land last.
    expiries = [700, 600, 500, 400, 300, 200]
    start = time.time() + 0.5
    context = multiprocessing.get_context("fork")
    children = []
    for i, expiry in enumerate(expiries):
        home = project_home(tmp_path, f"session-{expiry}")
        put(home / REL, token(expiry))
        child = context.Process(
            target=_write_back_slowly,
            args=(str(cred.host_path), str(home), 0.1, start + i * 0.01),
        )
        child.start()
        children.append(child)
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0
    assert cred.host_path.read_bytes() == token(700)


def _write_back_when_told(host_file: str, home: str, go: Any) -> None:
    go.wait(10)
    cred = credential(Path(host_file))
    write_back_to_host(cred, Path(home))


def test_write_back_waits_for_the_lock_another_session_holds(
    tmp_path: Path, cred: CredentialFile
) -> None:
    put(cred.host_path, token(100))
    home = project_home(tmp_path)
    put(home / REL, token(200))
    context = multiprocessing.get_context("fork")
    go = context.Event()
    # Forked before the lock is taken: a child sharing the parent's locked
    # file description would hold the lock itself.
    child = context.Process(target=_write_back_when_told, args=(str(cred.host_path), str(home), go))
    child.start()
    try:
        with credential_lock(cred.host_path):
            go.set()
            child.join(timeout=0.5)
            assert child.is_alive(), "write-back went ahead while another session held the lock"
            assert cred.host_path.read_bytes() == token(100)
        child.join(timeout=10)
    finally:
        child.kill()
    assert child.exitcode == 0
    assert cred.host_path.read_bytes() == token(200)


def test_a_reason_quoting_the_boxs_bytes_is_one_line_with_controls_escaped(
    tmp_path: Path, host_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    def quoting(data: bytes) -> float:
        raise ValueError(f"bad: {data.decode()}")

    echoing = CredentialFile(host_home / REL, REL, freshness=quoting, same_account=same_label)
    home = project_home(tmp_path)
    put(home / REL, b"\x1b]52;c;AAAA\x07\nkanibako: forged line")
    assert not write_back_to_host(echoing, home)
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "\\x1b]52" in err
