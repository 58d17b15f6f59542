"""The doctor's pure parts: one-line config edits and the engine-message diagnosis."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kanibako.doctor import diagnose_engine_failure, report, summary
from kanibako.doctor.model import Check, ConfEdit
from kanibako.doctor.podman_conf import apply_edit, edited_text, merged_conf

# The engines' own words, as measured (NOTES-containers.md and issue 13).
REAL_MESSAGES = {
    "Error: container-init binary not found on the host: stat /usr/libexec/podman/catatonit: "
    "no such file or directory": "init binary",
    "Error: runc: runc create failed: unable to start container process: error during container "
    "init: error setting rlimits for ready process: error setting rlimit type 7: operation not "
    "permitted: OCI permission denied": "ulimits",
    'Error: slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied"': "rootless network",
    "Error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: "
    "OCI runtime error": "oci runtime",
    "docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker "
    "daemon running?": "engine",
}


@pytest.mark.parametrize(("message", "check"), REAL_MESSAGES.items())
def test_known_engine_messages_name_the_problem_and_the_doctor(message: str, check: str) -> None:
    line = diagnose_engine_failure(f"some progress\n{message}\n")
    assert line is not None
    assert "\n" not in line and "run kanibako doctor" in line and f"'{check}'" in line


def test_an_unknown_failure_is_not_guessed() -> None:
    assert diagnose_engine_failure("Error: image not known") is None
    assert diagnose_engine_failure("") is None


EDIT = ConfEdit(Path("x"), "containers", "default_ulimits", '["nofile=1:1"]')


def test_an_edit_replaces_the_key_in_its_table_and_keeps_the_rest() -> None:
    text = '# admin notes\n[containers]\ndefault_ulimits = [\n  "nofile=9:9",\n]\nnetns = "host"\n\n[engine]\nruntime = "runc"\n'
    new = edited_text(text, EDIT)
    assert new.startswith("# admin notes\n")
    parsed = tomllib.loads(new)
    assert parsed == {
        "containers": {"default_ulimits": ["nofile=1:1"], "netns": "host"},
        "engine": {"runtime": "runc"},
    }


def test_an_edit_adds_the_key_or_the_table() -> None:
    assert tomllib.loads(edited_text('[engine]\nruntime = "runc"\n', EDIT)) == {
        "engine": {"runtime": "runc"},
        "containers": {"default_ulimits": ["nofile=1:1"]},
    }
    assert tomllib.loads(edited_text("[containers]\n[engine]\n", EDIT))["containers"] == {
        "default_ulimits": ["nofile=1:1"]
    }
    same_key_elsewhere = '[engine]\ndefault_ulimits = "other"\n[containers]\n'
    assert tomllib.loads(edited_text(same_key_elsewhere, EDIT))["engine"] == {
        "default_ulimits": "other"
    }


def test_apply_edit_writes_atomically_and_keeps_the_mode(tmp_path: Path) -> None:
    conf = tmp_path / "containers" / "containers.conf"
    apply_edit(ConfEdit(conf, "containers", "netns", '"host"'))
    assert tomllib.loads(conf.read_text()) == {"containers": {"netns": "host"}}
    conf.chmod(0o640)
    apply_edit(ConfEdit(conf, "containers", "netns", '"none"'))
    assert conf.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in conf.parent.iterdir()) == ["containers.conf"]


def test_containers_conf_overrides_the_whole_chain(tmp_path: Path) -> None:
    conf = tmp_path / "c.conf"
    conf.write_text('[containers]\ninit_path = "/x"\n')
    override = tmp_path / "o.conf"
    override.write_text('[containers]\nnetns = "none"\n')
    merged = merged_conf(
        {"CONTAINERS_CONF": str(conf), "CONTAINERS_CONF_OVERRIDE": str(override)}, True
    )
    assert merged == {"containers": {"init_path": "/x", "netns": "none"}}


def test_report_shape_and_summary() -> None:
    checks = [Check("engine", "ok", "podman"), Check("image", "fail", "gone", "kanibako setup")]
    assert report(checks) == {
        "ok": False,
        "checks": [
            {"name": "engine", "status": "ok", "detail": "podman", "fix": None},
            {"name": "image", "status": "fail", "detail": "gone", "fix": "kanibako setup"},
        ],
    }
    assert summary(checks) == "doctor: 1 ok, 0 warn, 1 fail (image: run kanibako doctor)"


def test_a_closed_tun_warns_about_open_mode_and_fix_proposes_no_host_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Allowlist mode runs with --network none: doctor --fix must not hand the host's network out."""
    from kanibako.doctor import rootless_checks
    from kanibako.doctor.facts import HostFacts
    from kanibako_runtime import Engine

    conf = tmp_path / "containers.conf"
    conf.write_text("[engine]\n")
    monkeypatch.setattr(rootless_checks, "TUN", tmp_path / "no-tun-here")
    facts = HostFacts(
        env={"CONTAINERS_CONF": str(conf), "PATH": "/usr/bin:/bin"},
        euid=1001,
        engine=Engine("podman", "/usr/bin/podman", rootless=True),
        info={"host": {"slirp4netns": {"executable": "/usr/bin/slirp4netns"}}},
    )
    check = rootless_checks.check_network(facts)
    assert check.status == "warn" and check.edit is None
    assert 'network = "open"' in check.detail and "allowlist" in check.detail
    assert check.fix is not None and "chmod 0666" in check.fix and "loopback" in check.fix
    conf.write_text('[containers]\nnetns = "host"\n')
    assert rootless_checks.check_network(facts).status == "ok"


def test_open_mode_s_network_failure_names_the_choices_and_only_that_failure() -> None:
    from kanibako.doctor.known_failures import diagnose_open_network_failure

    slirp = 'Error: slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied"'
    line = diagnose_open_network_failure(slirp)
    assert line is not None and "\n" not in line
    assert 'network = "open"' in line and "kanibako config network allowlist" in line
    assert "chmod 0666 /dev/net/tun" in line and "loopback included" in line
    assert diagnose_open_network_failure("Error: error setting rlimit type 7") is None
