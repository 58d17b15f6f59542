"""Egress policy: DEST parsing, IP spellings, scope precedence, resolution checks, live reload."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from kanibako.session.egress.config_entries import read_entries, record
from kanibako.session.egress.destinations import (
    Destination,
    DestinationError,
    normalize_ip,
    parse_destination,
)
from kanibako.session.egress.policy import Policy, builtin_rules


@pytest.mark.parametrize(
    "spelling",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "0x7f.0.0.1",
        "::ffff:127.0.0.1",
        "[::ffff:7f00:1]",
    ],
)
def test_every_spelling_of_loopback_is_one_address(spelling: str) -> None:
    assert normalize_ip(spelling) == ipaddress.ip_address("127.0.0.1")


def test_names_are_not_read_as_addresses() -> None:
    assert normalize_ip("cafe") is None
    assert normalize_ip("pypi.org") is None
    assert normalize_ip("1.2.3.4.5") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PyPI.org.", Destination("pypi.org")),
        ("*.GitHub.com", Destination("*.github.com")),
        ("example.com:8443", Destination("example.com", 8443)),
        ("0x7f.1:8080", Destination("127.0.0.1", 8080)),
        ("[::1]:9000", Destination("::1", 9000)),
        ("::1", Destination("::1")),
    ],
)
def test_destinations_are_normalized(text: str, expected: Destination) -> None:
    assert parse_destination(text) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        " ",
        "a b",
        "host:0",
        "host:65536",
        "host:x",
        "*.com",
        "-bad-.com",
        "[::1",
        "a..b",
        "*.1.2.3.4",
    ],
)
def test_bad_destinations_are_refused(bad: str) -> None:
    with pytest.raises(DestinationError):
        parse_destination(bad)


def _policy(tmp_path: Path, **builtin: list[str]) -> tuple[Policy, Path, Path]:
    project, global_ = tmp_path / "project.toml", tmp_path / "kanibako.toml"
    rules = builtin_rules("claude", builtin.get("hosts", ["api.anthropic.com"]))
    return Policy(rules, [("project", project), ("global", global_)]), project, global_


def test_target_hosts_and_default_presets_are_allowed_others_not(tmp_path: Path) -> None:
    policy, _, _ = _policy(tmp_path)
    assert policy.check_name("api.anthropic.com", 443, tunnel=True) is None
    assert policy.check_name("pypi.org", 443, tunnel=True) is None
    assert policy.check_name("deb.debian.org", 80, tunnel=False) is None
    denied = policy.check_name("github.com", 443, tunnel=True)
    assert denied is not None and denied.allow_command == "kanibako net allow github.com"
    # CONNECT only to 443 unless the entry names a port.
    other_port = policy.check_name("pypi.org", 22, tunnel=True)
    assert other_port is not None and other_port.destination == "pypi.org:22"


def test_project_beats_global_beats_builtin(tmp_path: Path) -> None:
    policy, project, global_ = _policy(tmp_path)
    record(global_, "deny", "@pypi")
    assert policy.check_name("pypi.org", 443, tunnel=True) is not None
    record(project, "allow", "pypi.org")
    assert policy.check_name("pypi.org", 443, tunnel=True) is None
    record(global_, "allow", "*.example.com")
    record(project, "deny", "bad.example.com")
    assert policy.check_name("good.example.com", 443, tunnel=True) is None
    assert policy.check_name("bad.example.com", 8443, tunnel=True) is not None


def test_record_moves_an_entry_between_lists_and_rejects_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "project.toml"
    path.write_text('[container]\nimage = "x"\n')
    assert record(path, "allow", "@github")
    assert not record(path, "allow", "@github")
    assert record(path, "deny", "@github")
    assert read_entries(path).allow == () and read_entries(path).deny == ("@github",)
    before = path.read_bytes()
    for bad in ("@nope", "a b", "x:70000", ""):
        with pytest.raises(DestinationError):
            record(path, "allow", bad)
    assert path.read_bytes() == before
    assert 'image = "x"' in path.read_text()


def test_internal_addresses_need_that_exact_ip_and_port(tmp_path: Path) -> None:
    policy, project, _ = _policy(tmp_path)
    loopback = ipaddress.ip_address("127.0.0.1")
    public = ipaddress.ip_address("151.101.0.223")
    # pypi.org is allowed by name, but a rebinding answer is refused...
    rebound = policy.check_addresses("pypi.org", 443, [loopback])
    assert rebound.verdict == "deny" and rebound.destination == "127.0.0.1:443"
    assert "internal" in rebound.reason
    # ...while the first public address is taken.
    assert policy.check_addresses("pypi.org", 443, [loopback, public]).address == public
    record(project, "allow", "127.0.0.1")  # no port: not exact
    assert policy.check_addresses("pypi.org", 443, [loopback]).verdict == "deny"
    record(project, "allow", "127.0.0.1:443")
    assert policy.check_addresses("pypi.org", 443, [loopback]).address == loopback
    metadata = ipaddress.ip_address("169.254.169.254")
    assert policy.check_addresses("pypi.org", 443, [metadata]).verdict == "deny"


def test_a_broken_file_mid_session_keeps_the_last_good_rules(tmp_path: Path) -> None:
    policy, project, _ = _policy(tmp_path)
    record(project, "allow", "example.org")
    assert policy.check_name("example.org", 443, tunnel=True) is None
    project.write_text("[network]\nallow = [1]\n")
    assert policy.check_name("example.org", 443, tunnel=True) is None
    assert "allow must be a list of strings" in policy.last_error


def test_a_broken_file_at_start_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "project.toml").write_text('[network]\nallow = ["no such host name!"]\n')
    with pytest.raises(DestinationError, match=r"project\.toml"):
        _policy(tmp_path)
