"""The setuid-refusing seccomp profile: built from the engine's default, narrowed, never shared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kanibako.session.privileges import least_privilege
from kanibako.session.seccomp import narrowed_profile, setuid_refusing_profile
from kanibako_runtime import ContainerSpec, Engine
from kanibako_runtime.argv import to_argv

DEFAULT = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
        {"names": ["read", "chmod", "openat", "openat2"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["fchmod"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["X"]}},
    ],
}


def _rules_for(profile: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [r for r in profile["syscalls"] if name in r["names"]]


def test_mode_setting_calls_leave_the_default_allow_rules_and_get_narrowed_ones() -> None:
    profile = narrowed_profile(DEFAULT)
    assert profile["syscalls"][0]["names"] == ["read"]  # the rest of the rule is kept
    chmod = _rules_for(profile, "chmod")
    assert [r["action"] for r in chmod] == ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO"]
    assert chmod[0]["args"] == [
        {"index": 1, "value": 0o6000, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
    ]
    assert {r["args"][0]["valueTwo"] for r in chmod[1:]} == {0o4000, 0o2000}
    # openat decides on the mode only when it creates a file (O_CREAT or O_TMPFILE).
    openat = _rules_for(profile, "openat")
    refused = [r for r in openat if r["action"] == "SCMP_ACT_ERRNO"]
    assert len(refused) == 4 and all(len(r["args"]) == 2 for r in refused)
    assert _rules_for(profile, "openat2") == [
        {"names": ["openat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
    ]


def test_the_profile_is_written_once_under_its_hash(tmp_path: Path) -> None:
    default = tmp_path / "seccomp.json"
    default.write_text(json.dumps(DEFAULT))
    first = setuid_refusing_profile(default, tmp_path / "out")
    assert first is not None and first.name.startswith("no-setuid-")
    assert json.loads(first.read_text()) == narrowed_profile(DEFAULT)
    assert setuid_refusing_profile(default, tmp_path / "out") == first
    assert len(list((tmp_path / "out").iterdir())) == 1


def test_without_a_readable_default_profile_none_is_used(tmp_path: Path) -> None:
    assert setuid_refusing_profile(tmp_path / "missing.json", tmp_path) is None
    (tmp_path / "broken.json").write_text("{")
    assert setuid_refusing_profile(tmp_path / "broken.json", tmp_path) is None


def test_the_unprivileged_spec_passes_the_profile_to_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    options = least_privilege(False)
    spec = ContainerSpec(image="img", **options)
    argv = to_argv(Engine("podman", "/usr/bin/podman", rootless=False), spec)
    if Path("/usr/share/containers/seccomp.json").is_file():
        assert f"seccomp={options['seccomp_profile']}" in argv
        assert options["seccomp_profile"].startswith(str(tmp_path / "kanibako" / "seccomp"))
    assert "no-new-privileges" in argv
    assert least_privilege(True) == {}
