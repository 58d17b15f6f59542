"""A conformance suite for target plugins (pytest).

Subclass ``TargetConformance`` in your plugin's tests and name your class::

    from kanibako_targets.testing import TargetConformance
    from my_plugin import MyTarget

    class TestMyTarget(TargetConformance):
        target_class = MyTarget

        def credential_sample(self, rank: int) -> bytes:  # only with credentials
            return json.dumps({"expires": 1000 + rank}).encode()

Every test runs against a throwaway host (an empty home and PATH in
``tmp_path``), so the suite never touches the real user's files. Override
``plant_agent`` when ``detect`` looks for more than an executable named
``command`` on PATH. A credential with a ``same_account`` check is written back
only when the check says so: override the ``host`` fixture to point the check
at a stand-in issuer (``kanibako_targets.testing_issuer.TokenIssuer``) that
knows the samples as one account; without a check, a credential is forwarded
one way only. Needs pytest (``pip install kanibako-targets[testing]``).
"""

# This module is a pytest suite shipped to plugin authors: asserts are its language.
# ruff: noqa: S101

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import ClassVar

import pytest

from kanibako_targets.agent_config import agent_config_path, ensure_agent_config
from kanibako_targets.discovery import load_target_class
from kanibako_targets.host import HostEnvironment
from kanibako_targets.safe_files import read_beneath
from kanibako_targets.settings import check_value
from kanibako_targets.target import Target
from kanibako_targets.values import AgentInstall, ArgsRequest, StateTranslation

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


class TargetConformance:
    """The checks every target must pass. Set ``target_class`` in a subclass."""

    target_class: ClassVar[type[Target]]
    #: False for a target found without any install (like ``no_agent``).
    needs_install: ClassVar[bool] = True

    # -- hooks a plugin may override ----------------------------------------

    def plant_agent(self, host: HostEnvironment) -> None:
        """Make ``detect`` succeed on ``host``: by default, an executable on PATH."""
        bin_dir = host.search_path()[0]
        script = bin_dir / self.target_class.command
        script.write_text("#!/bin/sh\nexit 0\n")
        script.chmod(0o755)

    def credential_sample(self, rank: int) -> bytes:
        """Credential bytes whose freshness grows with ``rank`` (targets with credentials)."""
        raise NotImplementedError(
            f"{self.target_class.__name__} forwards credentials: define credential_sample(rank) "
            "in its conformance test class"
        )

    # -- fixtures ----------------------------------------------------------

    @pytest.fixture
    def host(self, tmp_path: Path) -> HostEnvironment:
        """An empty home and an empty PATH directory."""
        (tmp_path / "host-home").mkdir()
        (tmp_path / "host-bin").mkdir()
        return HostEnvironment(home=tmp_path / "host-home", path=str(tmp_path / "host-bin"))

    @pytest.fixture
    def target(self, host: HostEnvironment) -> Target:
        """The target under test, looking at the throwaway host."""
        return self.target_class(host)

    @pytest.fixture
    def home(self, tmp_path: Path) -> Path:
        """A project's home (what the container sees as /home/agent)."""
        path = tmp_path / "project-home"
        path.mkdir()
        return path

    @pytest.fixture
    def install(self, host: HostEnvironment, target: Target) -> AgentInstall:
        """The agent as detected after ``plant_agent``."""
        if self.needs_install:
            self.plant_agent(host)
        found = target.detect()
        assert found is not None, "detect() found nothing after plant_agent()"
        return found

    # -- identity and registration -----------------------------------------

    def test_is_a_target_subclass(self) -> None:
        assert issubclass(self.target_class, Target)

    def test_names_are_well_formed(self) -> None:
        cls = self.target_class
        assert _NAME.fullmatch(cls.name), f"name {cls.name!r}: lowercase letters, digits, _.-"
        assert cls.display_name.strip(), "display_name must not be empty"
        assert cls.command and "/" not in cls.command, "command: a bare command name"

    def test_is_registered_under_the_entry_point_group(self) -> None:
        assert load_target_class(self.target_class.name) is self.target_class

    # -- detection and mounts ----------------------------------------------

    def test_detect_finds_nothing_on_an_empty_host(self, target: Target) -> None:
        if self.needs_install:
            assert target.detect() is None
        else:
            assert target.detect() is not None

    def test_detect_finds_the_planted_agent(self, install: AgentInstall, target: Target) -> None:
        assert install.command == self.target_class.command
        assert install.found_via

    def test_binary_mounts_are_read_only_and_absolute(
        self, install: AgentInstall, target: Target
    ) -> None:
        mounts = target.binary_mounts(install)
        if self.needs_install:
            assert mounts, "an installed agent must be mounted into the container"
        for mount in mounts:
            assert mount.read_only, f"{mount.target} must be mounted read-only"
            assert mount.source.is_absolute() and mount.source.exists()
            assert mount.target.startswith("/")

    # -- arguments and settings --------------------------------------------

    def test_build_args_for_every_request_are_strings(self, target: Target) -> None:
        for mode, new, safe, first_run in itertools.product(
            ("start", "resume"), (False, True), (False, True), (False, True)
        ):
            request = ArgsRequest(mode=mode, new=new, safe=safe, first_run=first_run)  # type: ignore[arg-type]
            args = target.build_args(request)
            assert all(isinstance(a, str) for a in args)
            assert args == target.build_args(request), "build_args must be deterministic"

    def test_command_line_orders_default_args_and_extra_args(
        self, target: Target, install: AgentInstall
    ) -> None:
        state = {d.key: d.default for d in target.setting_descriptors()}
        request = ArgsRequest(extra_args=("--extra-x",), state=state)
        line = target.command_line(install, request, default_args=("--default-y",))
        assert line.argv[0] == install.command
        assert line.argv[1] == "--default-y"
        assert line.argv[-1] == "--extra-x"
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in line.env.items())

    def test_setting_descriptors_are_unique_and_consistent(self, target: Target) -> None:
        descriptors = target.setting_descriptors()
        keys = [d.key for d in descriptors]
        assert len(keys) == len(set(keys)), f"duplicate setting keys: {keys}"
        for descriptor in descriptors:
            check_value(descriptor, descriptor.default)
            assert descriptor.description.strip(), f"setting {descriptor.key} needs a description"

    def test_translate_state_of_the_defaults(self, target: Target) -> None:
        state = {d.key: d.default for d in target.setting_descriptors()}
        translation = target.translate_state(state, ArgsRequest(state=state))
        assert isinstance(translation, StateTranslation)
        assert all(isinstance(a, str) for a in translation.args)

    def test_resource_mappings_are_unique(self, target: Target) -> None:
        keys = [m.relative for m in target.resource_mappings()]
        assert len(keys) == len(set(keys)), f"duplicate resources: {keys}"

    def test_generated_agent_config_round_trips(self, target: Target, tmp_path: Path) -> None:
        agents = tmp_path / "agents"
        generated = target.generate_agent_config()
        loaded = ensure_agent_config(agents, target)
        assert agent_config_path(agents, target.name).is_file()
        assert (loaded.name, loaded.shell) == (generated.name, generated.shell)
        assert list(loaded.default_args) == list(generated.default_args)
        assert dict(loaded.state) == dict(generated.state)
        assert (dict(loaded.env), dict(loaded.shared)) == (
            dict(generated.env),
            dict(generated.shared),
        )
        for descriptor in target.setting_descriptors():
            assert descriptor.key in loaded.state, f"[state] lacks {descriptor.key}"

    # -- home and credentials ----------------------------------------------

    def test_init_home_without_shared_auth_takes_nothing_from_the_host(
        self, target: Target, home: Path, host: HostEnvironment
    ) -> None:
        for rank, credential in enumerate(target.credential_files()):
            credential.host_path.parent.mkdir(parents=True, exist_ok=True)
            credential.host_path.write_bytes(self.credential_sample(rank))
        target.init_home(home, share_auth=False)
        for credential in target.credential_files():
            assert read_beneath(home, credential.home_path) is None

    def test_nothing_to_forward_when_the_host_has_no_credentials(
        self, target: Target, home: Path
    ) -> None:
        assert target.refresh_credentials(home) == []
        assert target.write_back_credentials(home) == []
        for credential in target.credential_files():
            assert not credential.host_path.exists()

    def test_credentials_round_trip_only_when_fresher(self, target: Target, home: Path) -> None:
        for credential in target.credential_files():
            host_file = credential.host_path
            host_file.parent.mkdir(parents=True, exist_ok=True)
            host_file.write_bytes(self.credential_sample(1))
            assert target.refresh_credentials(home) == [home / credential.home_path]
            assert read_beneath(home, credential.home_path) == self.credential_sample(1)
            one_way = (
                credential.freshness(self.credential_sample(2)) is None
                or credential.same_account is None
            )
            # An older token from the container never replaces the host's.
            (home / credential.home_path).write_bytes(self.credential_sample(0))
            assert target.write_back_credentials(home) == []
            assert host_file.read_bytes() == self.credential_sample(1)
            # A fresher one of the same account does, with mode 0600; a
            # credential whose freshness or account cannot be told is
            # forwarded one way only.
            (home / credential.home_path).write_bytes(self.credential_sample(2))
            written = target.write_back_credentials(home)
            if one_way:
                assert written == []
                assert host_file.read_bytes() == self.credential_sample(1)
            else:
                assert written == [host_file]
                assert host_file.read_bytes() == self.credential_sample(2)
                assert host_file.stat().st_mode & 0o777 == 0o600

    def test_a_planted_symlink_is_set_aside_never_followed(
        self, target: Target, home: Path, tmp_path: Path
    ) -> None:
        secret = tmp_path / "secret"
        secret.write_text("not yours")
        for credential in target.credential_files():
            planted = home / credential.home_path
            planted.parent.mkdir(parents=True, exist_ok=True)
            planted.symlink_to(secret)
            assert target.write_back_credentials(home) == []
            assert not credential.host_path.exists()
            assert secret.read_text() == "not yours"
            assert not planted.is_symlink(), "a planted link must be set aside"

    def test_check_auth_and_login_args(self, target: Target) -> None:
        status = target.check_auth()
        assert isinstance(status.ok, bool) and status.detail
        login = target.login_args()
        assert login is None or all(isinstance(a, str) for a in login)
